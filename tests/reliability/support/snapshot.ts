import pg from 'pg';

/**
 * What a refused request must leave as it was: every row of every table of ours, except the audit
 * log and the rate-limit counters (a refusal is audited and counted by design), an API key's
 * last-use stamp, and an email's delivery progress (the job worker moves it on by itself).
 */
const PROJECTIONS: Record<string, string | null> = {
  audit_log: null,
  rate_limit: null,
  mikro_orm_migrations: null,
  api_key: 'select id, merchant_id, prefix, token_hash, label, created_at, revoked_at from api_key',
  email_message: 'select id, merchant_id, template, to_address, subject, related_type, related_id, created_at from email_message',
  // A refused money-moving request stores its refusal under its idempotency key, so that a retry
  // replays it: such a record is the request's own, not a change to anything (see `diffSnapshots`).
  idempotency_key: `select id, scope, key, operation, request_hash, state, created_at, state = 'COMPLETED' and response ? 'error' as refusal from idempotency_key`,
};

export type Snapshot = Map<string, string[]>;

export async function takeSnapshot(databaseUrl: string): Promise<Snapshot> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows: tables } = await db.query<{ name: string }>(
      "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name",
    );
    const snapshot: Snapshot = new Map();
    for (const { name } of tables) {
      const projection = name in PROJECTIONS ? PROJECTIONS[name] : `select * from "${name}"`;
      if (projection === null) continue;
      const { rows } = await db.query<{ row: string }>(`select t::text as row from (${projection}) t order by 1`);
      snapshot.set(name, rows.map((r) => r.row));
    }
    return snapshot;
  } finally {
    await db.end();
  }
}

/** Rows added or removed between two snapshots (a changed row shows as both), as `table: +row` lines. */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const changes: string[] = [];
  for (const table of new Set([...before.keys(), ...after.keys()])) {
    const was = new Set(before.get(table) ?? []);
    const is = new Set(after.get(table) ?? []);
    for (const row of was) if (!is.has(row)) changes.push(`${table}: -${row}`);
    for (const row of is) {
      const refusalRecord = table === 'idempotency_key' && row.endsWith(',t)');
      if (!was.has(row) && !refusalRecord) changes.push(`${table}: +${row}`);
    }
  }
  return changes;
}
