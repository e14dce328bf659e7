import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../domain/errors.js';
import { Customer } from './customer.entity.js';

export interface CustomerSearch {
  first: number;
  after?: string | null;
  /** Case-insensitive, anywhere in the name, email or external reference. */
  search?: string | null;
  includeArchived?: boolean | null;
}

export interface CustomerPage {
  customers: { customer: Customer; cursor: string }[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Keyset position in the alphabetical list: (lower(name), id), lower() as PostgreSQL computes it. */
function encodeCursor(sortKey: string, id: string): string {
  return Buffer.from(JSON.stringify([sortKey, id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      /^[0-9a-f-]{36}$/i.test(value[1])
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // answered below
  }
  throw badInput('after', 'The cursor is not one this API issued');
}

/** The text a search looks in; the same expression as the trigram index (migration ...-people), so the index serves it. */
export const SEARCH_TEXT = `lower(name || ' ' || email || ' ' || coalesce(external_ref, ''))`;

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * A merchant's customers in alphabetical order, a page at a time, optionally narrowed by a search.
 * The search is a case-insensitive substring match: with pg_trgm installed a GIN trigram index
 * answers it; without, PostgreSQL scans only this merchant's rows (the merchant_id index bounds it).
 */
export async function searchCustomers(em: EntityManager, merchantId: string, search: CustomerSearch): Promise<CustomerPage> {
  const conditions = ['merchant_id = ?'];
  const params: unknown[] = [merchantId];
  if (!search.includeArchived) conditions.push('archived_at is null');
  const term = search.search?.trim().toLowerCase();
  if (term) {
    if (term.length > 200) throw badInput('search', 'search may have at most 200 characters');
    conditions.push(`${SEARCH_TEXT} like ?`);
    params.push(`%${escapeLike(term)}%`);
  }
  if (search.after) {
    const [name, id] = decodeCursor(search.after);
    conditions.push('(lower(name), id) > (?, ?)');
    params.push(name, id);
  }
  const rows = await em.execute<({ sort_key: string; id: string } & Record<string, unknown>)[]>(
    `select *, lower(name) as sort_key from customer where ${conditions.join(' and ')} order by lower(name), id limit ?`,
    [...params, search.first + 1],
  );
  const customers = rows
    .slice(0, search.first)
    .map(({ sort_key: sortKey, ...row }) => ({ customer: em.map(Customer, row), cursor: encodeCursor(sortKey, row.id) }));
  return { customers, hasNextPage: rows.length > search.first, endCursor: customers.at(-1)?.cursor ?? null };
}
