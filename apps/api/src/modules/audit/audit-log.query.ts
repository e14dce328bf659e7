import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../domain/errors.js';

export interface AuditLogFilter {
  first: number;
  after?: string | null;
  /** An action (`vault.card.added`), or a family ending in a dot (`supervisor.`). */
  action?: string | null;
}

export interface AuditLogRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  subjectId: string | null;
  detail: string | null;
  cursor: string;
}

const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{1,19}$/.test(id)) throw badInput('after', 'The cursor is not one this API issued');
  return id;
}

/** Rows written before actors were named carry only a type and an id. */
const ACTOR_NAME = `coalesce(a.actor_name, case a.actor_type when 'api_key' then 'API key ' || k.prefix when 'operator' then 'Operator (CLI)' else a.actor_type end, a.actor_type)`;

/** A merchant's audit log, newest first, a page at a time (keyset on the row id). */
export async function auditLogPage(
  em: EntityManager,
  merchantId: string,
  filter: AuditLogFilter,
): Promise<{ rows: AuditLogRow[]; hasNextPage: boolean }> {
  const conditions = ['a.merchant_id = ?'];
  const params: unknown[] = [merchantId];
  const action = filter.action?.trim();
  if (action) {
    if (action.length > 100) throw badInput('action', 'action may have at most 100 characters');
    if (action.endsWith('.')) {
      conditions.push('a.action like ?');
      params.push(`${action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    } else {
      conditions.push('a.action = ?');
      params.push(action);
    }
  }
  if (filter.after) {
    conditions.push('a.id < ?');
    params.push(decodeCursor(filter.after));
  }
  const rows = await em.execute<
    { id: string; created_at: Date; actor: string; action: string; target_id: string | null; details: Record<string, unknown> }[]
  >(
    `select a.id::text as id, a.created_at, ${ACTOR_NAME} as actor, a.action, a.target_id, a.details
     from audit_log a left join api_key k on a.actor_type = 'api_key' and k.id::text = a.actor_id
     where ${conditions.join(' and ')} order by a.id desc limit ?`,
    [...params, filter.first + 1],
  );
  return {
    rows: rows.slice(0, filter.first).map((row) => ({
      id: row.id,
      at: new Date(row.created_at),
      actor: row.actor,
      action: row.action,
      subjectId: row.target_id,
      detail: row.details && Object.keys(row.details).length ? JSON.stringify(row.details) : null,
      cursor: encodeCursor(row.id),
    })),
    hasNextPage: rows.length > filter.first,
  };
}
