import { randomUUID } from 'node:crypto';
import { InvoiceWithDetailDocument, RecordOfflinePaymentDocument } from '@kometpay/schema/merchant';
import { createLogger, createOrm, PaymentLinkService, publicLinkSql } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { openShop } from '../support/shop.js';

let t: TestApi;

beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t.close());

const readInvoice = async (id: string, owner: TestMerchant) => (await owner.client().request(InvoiceWithDetailDocument, { id })).invoice;

describe('the public link view, read straight from the database', () => {
  it("reads only the invoice's own transactions to show its link, however long the merchant's history", async () => {
    // The soak found link lookups growing with every payment: without fresh planner statistics, the
    // amounts started from every SUCCEEDED transaction and probed their allocations.
    const history = await openShop(t, 'Long History', { name: 'Regular', email: 'regular@example.com' });
    const invoiceIds: string[] = [];
    for (const number of ['H-1', 'H-2']) {
      const { id } = await history.sentInvoice({ number, lines: [{ description: 'x', quantity: 1, unitAmount: '900000' }] });
      invoiceIds.push(id);
    }
    const [shown, busy] = invoiceIds;
    await history.client.request(RecordOfflinePaymentDocument, {
      invoiceId: shown,
      amount: '100',
      method: 'CASH',
      idempotencyKey: randomUUID(),
    });
    const connection = t.orm.em.fork().getConnection();
    await connection.execute(
      `with made as (
         insert into "transaction" (id, merchant_id, kind, status, channel, method, amount, currency, idempotency_key, requires_manual_reconciliation, settlement, version, created_at, updated_at)
         select gen_random_uuid(), ?, 'CHARGE', 'SUCCEEDED', 'MANUAL_ENTRY', 'CREDIT_CARD', 1, 'USD', 'history-' || g, false, 'PENDING', 1, now(), now()
         from generate_series(1, 3000) g returning id)
       insert into transaction_allocation (id, transaction_id, invoice_id, amount) select gen_random_uuid(), id, ?, 1 from made`,
      [history.merchant.id, busy],
    );
    const [link] = await connection.execute<{ token_hash: string }[]>(
      `select token_hash from payment_link where invoice_id = ? and status = 'ACTIVE'`,
      [shown],
    );
    const [explained] = await connection.execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(
      `explain (analyze, format json) ${publicLinkSql}`,
      [link.token_hash],
    );
    const transactionRowsRead = (node: PlanNode): number =>
      (node['Relation Name'] === 'transaction' ? node['Actual Rows'] * node['Actual Loops'] : 0) +
      (node.Plans ?? []).reduce((sum, child) => sum + transactionRowsRead(child), 0);
    expect(transactionRowsRead(explained['QUERY PLAN'][0].Plan)).toBeLessThanOrEqual(2);
    // The same amounts, read the bounded way.
    expect((await readInvoice(shown, history.merchant))?.amountPaid.amount).toBe('100');
    expect((await readInvoice(busy, history.merchant))?.amountPaid.amount).toBe('3000');
  });

  it('reads the public link view through a statement planned once per connection, and inside a transaction sees its writes', async () => {
    const prepared = await openShop(t, 'Prepared Reads', { name: 'Prepared', email: 'prepared@example.com' });
    const { id: invoiceId, token } = await prepared.sentInvoice({
      number: 'P-1',
      lines: [{ description: 'x', quantity: 1, unitAmount: '5000' }],
    });

    // One pooled connection: the statement's preparation is visible to the next query on it.
    const orm = await createOrm(t.db.url, 1, createLogger('error'));
    try {
      const em = orm.em.fork();
      const links = new PaymentLinkService(em, t.settings);
      for (let i = 0; i < 3; i++) expect((await links.findPublic(token, t.clock.now()))?.amounts.due).toBe(5000n);
      const pool = await em.getConnection().getNativeClient();
      const { rows } = await pool.query<{ name: string }>('select name from pg_prepared_statements');
      expect(rows.map((row) => row.name)).toEqual(['kometpay_public_link_view']);

      const rolledBack = new Error('roll back');
      await expect(
        em.transactional(async (tx) => {
          await tx.execute(`update invoice_line set unit_amount = 7000 where invoice_id = ?`, [invoiceId]);
          expect((await new PaymentLinkService(tx, t.settings).findPublic(token, t.clock.now()))?.amounts.due).toBe(7000n);
          throw rolledBack;
        }),
      ).rejects.toBe(rolledBack);
      expect((await links.findPublic(token, t.clock.now()))?.amounts.due).toBe(5000n);
      expect(await links.findPublic('no-such-token', t.clock.now())).toBeNull();
    } finally {
      await orm.close();
    }
  });
});

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}
