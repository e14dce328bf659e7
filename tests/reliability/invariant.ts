/**
 * The money invariant every reliability test ends on, whatever it did to the system:
 *  1. what the processor captured (succeeded or later returned charges, succeeded refunds) is exactly
 *     what our succeeded transactions say, payment by payment: count, references and sums;
 *  2. no charge is refunded beyond what it captured, and every charge is allocated exactly once;
 *  3. every invoice's amounts, as the API answers them, agree with its lines, allocations and credit
 *     memos recomputed here from the rows as DESIGN.md 1b defines them (independently of the
 *     product's own SQL: paid = succeeded charges minus the succeeded refunds of those charges), and
 *     no balance is negative;
 *  4. the outbox holds every state change exactly once: one `transaction.<status>` event per status a
 *     transaction passed through, in a legal order, ending on its current status; one event per
 *     invoice, link, memo and card lifecycle step.
 * It reads the database directly and the invoices through the API, and fails listing every violation.
 */
import type { GraphQLClient } from 'graphql-request';
import pg from 'pg';
import { TransactionStatus, transactionStateMachine } from '../../apps/api/src/app/test-kit.js';

export interface ProcessorLedger {
  /** Payments the processor captured: succeeded, or returned after success (ACH). */
  charges: { reference: string; amount: bigint; returned: boolean }[];
  /** Refunds the processor paid out. */
  refunds: { reference: string; paymentReference: string; amount: bigint }[];
}

/** The sandbox keeps its books in our database, in its own `sandbox_` tables. */
export async function sandboxLedger(db: pg.Client): Promise<ProcessorLedger> {
  const charges = await db.query<{ id: string; amount: string; status: string }>(
    `select id, amount::text, status from sandbox_payment where status in ('succeeded', 'returned')`,
  );
  const refunds = await db.query<{ id: string; payment: string; amount: string }>(
    `select id, payment, amount::text from sandbox_refund where status = 'succeeded'`,
  );
  return {
    charges: charges.rows.map((row) => ({ reference: row.id, amount: BigInt(row.amount), returned: row.status === 'returned' })),
    refunds: refunds.rows.map((row) => ({ reference: row.id, paymentReference: row.payment, amount: BigInt(row.amount) })),
  };
}

export interface InvariantScope {
  databaseUrl: string;
  /** Every merchant in the database, with a client for its API key. */
  merchants: { id: string; client(): GraphQLClient }[];
  /** Where the processor's books are read from; the sandbox's tables by default. */
  ledger?: (db: pg.Client) => Promise<ProcessorLedger>;
}

export interface InvariantFigures {
  capturedCharges: number;
  capturedSum: bigint;
  refunds: number;
  refundedSum: bigint;
  invoices: number;
  events: number;
}

interface TransactionRow {
  id: string;
  merchant_id: string;
  kind: 'CHARGE' | 'REFUND';
  status: TransactionStatus;
  channel: string;
  amount: string;
  processor_reference: string | null;
  refund_of_id: string | null;
}

interface EventRow {
  aggregate_type: string;
  aggregate_id: string;
  type: string;
  payload: Record<string, unknown>;
}

const STATUS_EVENTS: Record<string, TransactionStatus> = {
  'transaction.created': TransactionStatus.PENDING,
  'transaction.processing': TransactionStatus.PROCESSING,
  'transaction.succeeded': TransactionStatus.SUCCEEDED,
  'transaction.failed': TransactionStatus.FAILED,
  'transaction.canceled': TransactionStatus.CANCELED,
  'transaction.returned': TransactionStatus.RETURNED,
};

const sum = (values: bigint[]) => values.reduce((total, value) => total + value, 0n);

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return groups;
}

const INVOICE_PAGE = `query ($after: String) { invoices(first: 50, after: $after) {
  edges { node { id status total { amount } amountPaid { amount } amountCredited { amount } amountDue { amount } } }
  pageInfo { hasNextPage endCursor } } }`;

interface ApiInvoice {
  id: string;
  status: string;
  total: { amount: string };
  amountPaid: { amount: string };
  amountCredited: { amount: string };
  amountDue: { amount: string };
}

async function invoicesThroughApi(client: GraphQLClient): Promise<ApiInvoice[]> {
  const all: ApiInvoice[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { invoices: { edges: { node: ApiInvoice }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
      await client.request(INVOICE_PAGE, { after });
    all.push(...page.invoices.edges.map((edge) => edge.node));
    if (!page.invoices.pageInfo.hasNextPage) return all;
    after = page.invoices.pageInfo.endCursor;
  }
}

export async function checkInvariant(scope: InvariantScope): Promise<{ violations: string[]; figures: InvariantFigures }> {
  const db = new pg.Client({ connectionString: scope.databaseUrl });
  await db.connect();
  try {
    const violations: string[] = [];
    const ledger = await (scope.ledger ?? sandboxLedger)(db);
    const transactions = (
      await db.query<TransactionRow>(
        `select id, merchant_id, kind, status, channel, amount::text, processor_reference, refund_of_id from "transaction"`,
      )
    ).rows;
    const byId = new Map(transactions.map((row) => [row.id, row]));
    const viaProcessor = (row: TransactionRow) => row.channel !== 'OFFLINE';

    // 1. The processor's books against ours, payment by payment.
    const captured = transactions.filter(
      (row) => row.kind === 'CHARGE' && viaProcessor(row) && (row.status === 'SUCCEEDED' || row.status === 'RETURNED'),
    );
    const ours = new Map(captured.map((row) => [row.processor_reference ?? `(no reference: transaction ${row.id})`, row]));
    for (const charge of ledger.charges) {
      const mine = ours.get(charge.reference);
      if (!mine) {
        const recorded = transactions.find((row) => row.processor_reference === charge.reference);
        violations.push(
          `processor captured ${charge.reference} (${charge.amount}) but no succeeded transaction records it${recorded ? ` (transaction ${recorded.id} is ${recorded.status})` : ''}`,
        );
      } else {
        if (BigInt(mine.amount) !== charge.amount)
          violations.push(`transaction ${mine.id} records ${mine.amount}, the processor captured ${charge.amount}`);
        if ((mine.status === 'RETURNED') !== charge.returned)
          violations.push(
            `transaction ${mine.id} is ${mine.status} but the processor's payment is ${charge.returned ? 'returned' : 'succeeded'}`,
          );
      }
    }
    const processorCharges = new Set(ledger.charges.map((charge) => charge.reference));
    for (const [reference, row] of ours)
      if (!processorCharges.has(reference))
        violations.push(`transaction ${row.id} is ${row.status} but the processor has no captured payment ${reference}`);

    const paidRefunds = transactions.filter(
      (row) => row.kind === 'REFUND' && row.status === 'SUCCEEDED' && viaProcessor(byId.get(row.refund_of_id!)!),
    );
    const ourRefunds = new Map(paidRefunds.map((row) => [row.processor_reference ?? `(no reference: refund ${row.id})`, row]));
    for (const refund of ledger.refunds) {
      const mine = ourRefunds.get(refund.reference);
      if (!mine) violations.push(`processor refunded ${refund.reference} (${refund.amount}) but no succeeded refund records it`);
      else if (BigInt(mine.amount) !== refund.amount)
        violations.push(`refund ${mine.id} records ${mine.amount}, the processor refunded ${refund.amount}`);
    }
    const processorRefunds = new Set(ledger.refunds.map((refund) => refund.reference));
    for (const [reference, row] of ourRefunds)
      if (!processorRefunds.has(reference)) violations.push(`refund ${row.id} is SUCCEEDED but the processor has no refund ${reference}`);

    // 2. Refunds never exceed captures; allocations add up to the amount moved.
    const refundsOf = groupBy(
      transactions.filter((row) => row.kind === 'REFUND'),
      (row) => row.refund_of_id!,
    );
    for (const [chargeId, refunds] of refundsOf) {
      const charge = byId.get(chargeId)!;
      const live = refunds.filter((r) => ['PENDING', 'PROCESSING', 'SUCCEEDED'].includes(r.status));
      const refunded = sum(live.map((r) => BigInt(r.amount)));
      if (refunded > BigInt(charge.amount))
        violations.push(`charge ${chargeId} (${charge.amount}) has ${refunded} refunded or being refunded`);
    }
    for (const [payment, refunds] of groupBy(ledger.refunds, (refund) => refund.paymentReference)) {
      const charge = ledger.charges.find((c) => c.reference === payment);
      const refunded = sum(refunds.map((r) => r.amount));
      if (!charge || refunded > charge.amount)
        violations.push(`the processor refunded ${refunded} of payment ${payment}, which captured ${charge?.amount ?? 0}`);
    }
    const allocated = await db.query<{ transaction_id: string; allocated: string }>(
      `select transaction_id, sum(amount)::text as allocated from transaction_allocation group by transaction_id`,
    );
    for (const { transaction_id, allocated: amount } of allocated.rows) {
      const row = byId.get(transaction_id)!;
      if (BigInt(amount) !== BigInt(row.amount))
        violations.push(`${row.kind.toLowerCase()} ${row.id} moves ${row.amount} but allocates ${amount} to invoices`);
    }

    // 3. Invoice amounts: recomputed from the rows, compared with what the API answers.
    const invoiceRows = (
      await db.query<{
        id: string;
        merchant_id: string;
        status: string;
        sent: boolean;
        total: string;
        charged: string;
        refunded: string;
        credited: string;
      }>(`
      select i.id, i.merchant_id, i.status, i.sent_at is not null as sent,
        coalesce((select sum(l.quantity::bigint * l.unit_amount) from invoice_line l where l.invoice_id = i.id), 0)::text as total,
        coalesce((select sum(a.amount) from transaction_allocation a join "transaction" t on t.id = a.transaction_id
                  where a.invoice_id = i.id and t.kind = 'CHARGE' and t.status = 'SUCCEEDED'), 0)::text as charged,
        coalesce((select sum(a.amount) from transaction_allocation a join "transaction" t on t.id = a.transaction_id join "transaction" c on c.id = t.refund_of_id
                  where a.invoice_id = i.id and t.kind = 'REFUND' and t.status = 'SUCCEEDED' and c.status = 'SUCCEEDED'), 0)::text as refunded,
        coalesce((select sum(c.amount) from credit_memo c where c.invoice_id = i.id), 0)::text as credited
      from invoice i`)
    ).rows;
    const apiInvoices = new Map<string, ApiInvoice>();
    for (const merchant of scope.merchants)
      for (const invoice of await invoicesThroughApi(merchant.client())) apiInvoices.set(invoice.id, invoice);
    for (const row of invoiceRows) {
      const total = BigInt(row.total);
      const paid = BigInt(row.charged) - BigInt(row.refunded);
      const credited = BigInt(row.credited);
      const owed = total - paid - credited;
      const due = owed > 0n ? owed : 0n;
      if (paid < 0n) violations.push(`invoice ${row.id} has a negative amount paid (${paid})`);
      if (paid > total) violations.push(`invoice ${row.id} is paid ${paid}, above its total ${total}`);
      const api = apiInvoices.get(row.id);
      if (!api) {
        violations.push(`invoice ${row.id} of merchant ${row.merchant_id} is not listed by the API for any merchant in scope`);
        continue;
      }
      const answered = {
        total: api.total.amount,
        paid: api.amountPaid.amount,
        credited: api.amountCredited.amount,
        due: api.amountDue.amount,
      };
      const expected = { total: String(total), paid: String(paid), credited: String(credited), due: String(due) };
      if (JSON.stringify(answered) !== JSON.stringify(expected))
        violations.push(`invoice ${row.id}: the API answers ${JSON.stringify(answered)}, its rows say ${JSON.stringify(expected)}`);
      if (row.sent && row.status !== 'VOID') {
        const status = due === 0n ? 'PAID' : paid > 0n ? 'PARTIALLY_PAID' : 'OPEN';
        if (api.status !== status)
          violations.push(`invoice ${row.id} is ${api.status} with ${JSON.stringify(expected)}: expected ${status}`);
      }
    }

    // 4. The outbox: every state change exactly once.
    const events = (
      await db.query<EventRow>(`select aggregate_type, aggregate_id::text, type, payload from outbox_event order by position`)
    ).rows;
    const eventsOf = groupBy(events, (event) => event.aggregate_id);
    for (const row of transactions) {
      const statuses = (eventsOf.get(row.id) ?? []).filter((event) => STATUS_EVENTS[event.type]).map((event) => STATUS_EVENTS[event.type]);
      const path = statuses.join(' -> ') || '(none)';
      if (new Set(statuses).size !== statuses.length) violations.push(`transaction ${row.id}: a status event repeats (${path})`);
      const startsRight =
        statuses[0] === TransactionStatus.PENDING || (row.channel === 'OFFLINE' && statuses[0] === TransactionStatus.SUCCEEDED);
      if (!startsRight) violations.push(`transaction ${row.id}: its events do not start with its creation (${path})`);
      statuses.slice(1).forEach((status, index) => {
        if (!transactionStateMachine.canTransition(statuses[index], status))
          violations.push(`transaction ${row.id}: illegal ${statuses[index]} -> ${status} in its events (${path})`);
      });
      if (statuses.at(-1) !== row.status)
        violations.push(`transaction ${row.id} is ${row.status} but its events end at ${statuses.at(-1)} (${path})`);
      if (row.kind === 'CHARGE') {
        const refundedEvents = (eventsOf.get(row.id) ?? [])
          .filter((event) => event.type === 'transaction.refunded')
          .map((event) => String(event.payload.refundId));
        const succeeded = (refundsOf.get(row.id) ?? []).filter((refund) => refund.status === 'SUCCEEDED').map((refund) => refund.id);
        if (JSON.stringify([...refundedEvents].sort()) !== JSON.stringify([...succeeded].sort())) {
          violations.push(
            `charge ${row.id}: transaction.refunded events name ${JSON.stringify(refundedEvents)}, its succeeded refunds are ${JSON.stringify(succeeded)}`,
          );
        }
      }
    }
    const count = (aggregateId: string, type: string) => (eventsOf.get(aggregateId) ?? []).filter((event) => event.type === type).length;
    for (const row of invoiceRows) {
      if (count(row.id, 'invoice.created') !== 1)
        violations.push(`invoice ${row.id}: ${count(row.id, 'invoice.created')} invoice.created events`);
      if (count(row.id, 'invoice.sent') !== (row.sent ? 1 : 0))
        violations.push(`invoice ${row.id}: ${count(row.id, 'invoice.sent')} invoice.sent events (sent: ${row.sent})`);
      let status = row.sent ? 'OPEN' : 'DRAFT';
      for (const change of (eventsOf.get(row.id) ?? []).filter((event) => event.type === 'invoice.status_changed')) {
        if (change.payload.from !== status)
          violations.push(`invoice ${row.id}: status_changed from ${String(change.payload.from)} while it was ${status}`);
        status = String(change.payload.to);
      }
      const voided = count(row.id, 'invoice.voided');
      if (voided > 1 || (voided === 1) !== (row.status === 'VOID'))
        violations.push(`invoice ${row.id} is ${row.status} with ${voided} invoice.voided events`);
      if (voided === 1) status = 'VOID';
      if (status !== row.status) violations.push(`invoice ${row.id} is ${row.status} but its events leave it ${status}`);
    }
    const lifecycles: [sql: string, what: string][] = [
      [`select id::text, 'payment_link.created' as type from payment_link`, 'payment link'],
      [`select id::text, 'payment_link.' || lower(status) as type from payment_link where status <> 'ACTIVE'`, 'payment link'],
      [`select id::text, 'credit_memo.created' as type from credit_memo`, 'credit memo'],
      [`select id::text, 'vaulted_card.added' as type from vaulted_card`, 'vaulted card'],
      [`select id::text, 'vaulted_card.deleted' as type from vaulted_card where deleted_at is not null`, 'vaulted card'],
    ];
    for (const [sql, what] of lifecycles) {
      for (const { id, type } of (await db.query<{ id: string; type: string }>(sql)).rows) {
        if (count(id, type) !== 1) violations.push(`${what} ${id}: ${count(id, type)} ${type} events`);
      }
    }

    return {
      violations,
      figures: {
        capturedCharges: ledger.charges.length,
        capturedSum: sum(ledger.charges.map((charge) => charge.amount)),
        refunds: ledger.refunds.length,
        refundedSum: sum(ledger.refunds.map((refund) => refund.amount)),
        invoices: invoiceRows.length,
        events: events.length,
      },
    };
  } finally {
    await db.end();
  }
}

/** Fails the test with every violation of the invariant; answers its figures otherwise. */
export async function assertInvariant(scope: InvariantScope): Promise<InvariantFigures> {
  const { violations, figures } = await checkInvariant(scope);
  expect(violations).toEqual([]);
  return figures;
}
