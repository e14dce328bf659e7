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
  // A request moves its session's last-seen stamp (the idle limit), as it does an API key's last use.
  staff_session: 'select id, merchant_id, staff_member_id, token_hash, created_at, expires_at, ended_at, end_reason from staff_session',
  email_message: 'select id, merchant_id, template, to_address, subject, related_type, related_id, created_at from email_message',
  // A refused money-moving request stores its refusal under its idempotency key, so that a retry
  // replays it: such a record is the request's own, not a change to anything (see `diffSnapshots`).
  idempotency_key: `select id, scope, key, operation, request_hash, state, created_at, state = 'COMPLETED' and response ? 'error' as refusal from idempotency_key`,
};

export type Snapshot = Map<string, string[]>;

/**
 * Background work that earlier requests queued (a receipt, an email's delivery) changes rows after
 * those requests answered: a snapshot is taken once no job is due or running, so that what it sees
 * as changed afterwards is what the request under test changed.
 */
async function awaitJobsAtRest(db: pg.Client): Promise<void> {
  const busy = `select count(*)::int as busy from graphile_worker._private_jobs where attempts < max_attempts and (locked_at is not null or run_at <= now())`;
  for (const deadline = Date.now() + 15_000; ; await new Promise((resolve) => setTimeout(resolve, 25))) {
    const { rows } = await db.query<{ busy: number }>(busy);
    if (rows[0].busy === 0) return;
    if (Date.now() > deadline) throw new Error('background jobs still due or running after 15 s: no snapshot of a settled database');
  }
}

/** `jobsRun: false` for an API started without its job worker (RUN_JOBS=false): its queued jobs never run, so nothing is waited for. */
export async function takeSnapshot(databaseUrl: string, options: { jobsRun?: boolean } = {}): Promise<Snapshot> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    if (options.jobsRun !== false) await awaitJobsAtRest(db);
    const { rows: tables } = await db.query<{ name: string }>(
      "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name",
    );
    const snapshot: Snapshot = new Map();
    for (const { name } of tables) {
      const projection = name in PROJECTIONS ? PROJECTIONS[name] : `select * from "${name}"`;
      if (projection === null) continue;
      const { rows } = await db.query<{ row: string }>(`select t::text as row from (${projection}) t order by 1`);
      snapshot.set(
        name,
        rows.map((r) => r.row),
      );
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
