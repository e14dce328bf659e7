import type { EntityManager } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { PreparedStatement } from './prepared-statement.js';

/**
 * Where a repository's hand-written statements run: a pg connection of its own inside
 * BEGIN ... COMMIT (the payments engine's hot path), or an EntityManager (inside or outside its
 * transaction). A statement written once runs in either, so a rule such as "lock the invoices in
 * id order" has one text.
 */
export interface SqlSession {
  rows<Row>(statement: PreparedStatement<Row>, params: readonly unknown[]): Promise<Row[]>;
}

export function sessionOf(em: EntityManager): SqlSession {
  return { rows: (statement, params) => statement.rows(em, params) };
}

/**
 * A PostgreSQL array literal for a `?::uuid[]` or `?::bigint[]` parameter. The same text works
 * through node-postgres and through MikroORM (which would expand a JS array into a list).
 */
export function pgArray(values: readonly (string | bigint | number)[]): string {
  return `{${values.map((value) => (typeof value === 'string' ? `"${value.replace(/["\\]/g, '\\$&')}"` : String(value))).join(',')}}`;
}

/** node-postgres sends a bigint as it is not: as text, like every other number it sends. */
function toPg(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Runs `work` in one database transaction on a pooled connection (MikroORM's own pool), each
 * statement a named prepared statement that PostgreSQL plans once per connection. BEGIN, COMMIT and
 * every statement are logged where MikroORM logs its own, so tests that count statements see them.
 */
export async function inTransaction<T>(em: EntityManager, work: (sql: SqlSession) => Promise<T>): Promise<T> {
  const pool = (await em.getConnection().getNativeClient()) as pg.Pool;
  const logger = em.config.getLogger();
  const client = await pool.connect();
  const run = async (query: string | pg.QueryConfig, label: string) => {
    const started = Date.now();
    const result = await client.query(query);
    logger.logQuery({ query: label, took: Date.now() - started, results: result.rowCount ?? 0, level: 'info' });
    return result;
  };
  let broken: Error | undefined;
  try {
    await run('begin', 'begin');
    const result = await work({
      rows: async <Row>(statement: PreparedStatement<Row>, params: readonly unknown[]) =>
        (await run({ name: statement.name, text: statement.text, values: params.map(toPg) }, `execute ${statement.name}`)).rows as Row[],
    });
    await run('commit', 'commit');
    return result;
  } catch (error) {
    // A connection that cannot even roll back is not given back to the pool.
    await run('rollback', 'rollback').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}
