import type { EntityManager } from '@mikro-orm/postgresql';
import type { DisputeStatus } from '../../../domain/statuses.js';
import { PreparedStatement } from '../../../kit/db/prepared-statement.js';
import type { SqlSession } from '../../../kit/db/sql-session.js';
import { type DomainEvent, insertOutboxRowsSql, outboxRow } from '../../outbox/index.js';

/** A dispute as recorded: what the sync compares the processor's report with. */
export interface DisputeRecord {
  id: string;
  merchantId: string;
  chargeId: string;
  transactionId: string;
  processorReference: string;
  status: DisputeStatus;
  amount: bigint;
  fee: bigint;
  currency: string;
  reason: string;
  evidenceDueBy: Date | null;
  openedAt: Date;
  closedAt: Date | null;
  evidenceSubmittedAt: Date | null;
}

interface DisputeRow {
  id: string;
  merchant_id: string;
  charge_id: string;
  transaction_id: string;
  processor_reference: string;
  status: DisputeStatus;
  amount: string;
  fee: string;
  currency: string;
  reason: string;
  evidence_due_by: Date | null;
  opened_at: Date;
  closed_at: Date | null;
  evidence_submitted_at: Date | null;
}

const COLUMNS = `d.id, d.merchant_id, d.charge_id, d.transaction_id, d.processor_reference, d.status, d.amount::text as amount, d.fee::text as fee,
  d.currency, d.reason, d.evidence_due_by, d.opened_at, d.closed_at, d.evidence_submitted_at`;

const record = (row: DisputeRow): DisputeRecord => ({
  id: row.id,
  merchantId: row.merchant_id,
  chargeId: row.charge_id,
  transactionId: row.transaction_id,
  processorReference: row.processor_reference,
  status: row.status,
  amount: BigInt(row.amount),
  fee: BigInt(row.fee),
  currency: row.currency,
  reason: row.reason,
  evidenceDueBy: row.evidence_due_by && new Date(row.evidence_due_by),
  openedAt: new Date(row.opened_at),
  closedAt: row.closed_at && new Date(row.closed_at),
  evidenceSubmittedAt: row.evidence_submitted_at && new Date(row.evidence_submitted_at),
});

const lockByReference = new PreparedStatement<DisputeRow>(
  'kp_dispute_lock',
  `select ${COLUMNS} from dispute d where d.processor_reference = ? for update of d`,
);

const byId = new PreparedStatement<DisputeRow>(
  'kp_dispute_by_id',
  `select ${COLUMNS} from dispute d where d.id = ?::uuid and d.merchant_id = ?::uuid`,
);

/** The row and its events in one statement. */
const insertStatement = new PreparedStatement<{ inserted: number }>(
  'kp_dispute_insert',
  `with dispute_row as (
     insert into dispute (id, merchant_id, charge_id, transaction_id, processor_reference, status, amount, fee, currency, reason,
       evidence_due_by, opened_at, closed_at, evidence_submitted_at, created_at, updated_at)
     values (?::uuid, ?::uuid, ?::uuid, ?::uuid, ?, ?, ?::bigint, ?::bigint, ?, ?, ?::timestamptz, ?::timestamptz, ?::timestamptz, null, ?::timestamptz, ?::timestamptz)
     returning id
   ),
   event as (${insertOutboxRowsSql('exists (select 1 from dispute_row)')})
   select (select count(*) from dispute_row)::int as inserted`,
);

const updateStatement = new PreparedStatement<{ updated: number }>(
  'kp_dispute_update',
  `with dispute_row as (
     update dispute set status = ?, fee = ?::bigint, reason = ?, evidence_due_by = ?::timestamptz, closed_at = ?::timestamptz,
       evidence_submitted_at = ?::timestamptz, updated_at = ?::timestamptz
     where id = ?::uuid
     returning id
   ),
   event as (${insertOutboxRowsSql('exists (select 1 from dispute_row)')})
   select (select count(*) from dispute_row)::int as updated`,
);

const json = (value: unknown) => JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));

export async function lockDispute(sql: SqlSession, processorReference: string): Promise<DisputeRecord | null> {
  const [row] = await sql.rows(lockByReference, [processorReference]);
  return row ? record(row) : null;
}

/** The merchant's dispute; null for an unknown id or another merchant's. */
export async function readDispute(sql: SqlSession, merchantId: string, id: string): Promise<DisputeRecord | null> {
  const [row] = await sql.rows(byId, [id, merchantId]);
  return row ? record(row) : null;
}

export async function insertDispute(sql: SqlSession, dispute: DisputeRecord, events: readonly DomainEvent[], now: Date): Promise<void> {
  await sql.rows(insertStatement, [
    dispute.id,
    dispute.merchantId,
    dispute.chargeId,
    dispute.transactionId,
    dispute.processorReference,
    dispute.status,
    dispute.amount,
    dispute.fee,
    dispute.currency,
    dispute.reason,
    dispute.evidenceDueBy,
    dispute.openedAt,
    dispute.closedAt,
    now,
    now,
    now,
    json(events.map(outboxRow)),
  ]);
}

export async function updateDispute(sql: SqlSession, dispute: DisputeRecord, events: readonly DomainEvent[], now: Date): Promise<void> {
  await sql.rows(updateStatement, [
    dispute.status,
    dispute.fee,
    dispute.reason,
    dispute.evidenceDueBy,
    dispute.closedAt,
    dispute.evidenceSubmittedAt,
    now,
    dispute.id,
    now,
    json(events.map(outboxRow)),
  ]);
}

/** A page of the merchant's disputes, newest first, keyset on (created_at, id); one row more than asked tells of a next page. */
export async function readDisputePage(
  em: EntityManager,
  merchantId: string,
  filter: { limit: number; status?: DisputeStatus | null; after?: { createdAt: Date; id: string } | null },
): Promise<(DisputeRecord & { createdAt: Date })[]> {
  const conditions = ['d.merchant_id = ?'];
  const params: unknown[] = [merchantId];
  if (filter.status) {
    conditions.push('d.status = ?');
    params.push(filter.status);
  }
  if (filter.after) {
    conditions.push('(d.created_at, d.id) < (?::timestamptz, ?::uuid)');
    params.push(filter.after.createdAt, filter.after.id);
  }
  const rows = await em.execute<(DisputeRow & { created_at: Date })[]>(
    `select ${COLUMNS}, d.created_at from dispute d where ${conditions.join(' and ')} order by d.created_at desc, d.id desc limit ?`,
    [...params, filter.limit],
  );
  return rows.map((row) => ({ ...record(row), createdAt: new Date(row.created_at) }));
}
