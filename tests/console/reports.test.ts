import { randomUUID } from 'node:crypto';
import { type ConsoleWorld, hydrated, signedInPage, startConsoleWorld } from './support.js';

type Json = Record<string, any>;
let world: ConsoleWorld;
let customerId: string;

beforeAll(async () => {
  world = await startConsoleWorld();
  const { createCustomer } = await world.merchant
    .client()
    .request<Json>('mutation { createCustomer(input: { name: "Petal Pushers", email: "billing@petal.example" }) { id } }');
  customerId = createCustomer.id;
}, 60_000);
afterEach(async () => expect(await world.closePages()).toEqual([]));
afterAll(() => world?.close());

/** An invoice paid in full by card through the API (as the ERP or another page would). */
async function paidInvoice(amount: string): Promise<{ id: string; number: string }> {
  const client = world.merchant.client();
  const number = `R-${randomUUID().slice(0, 6).toUpperCase()}`;
  const { createInvoice } = await client.request<Json>('mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }', {
    input: { customerId, number, currency: 'USD', lines: [{ description: 'Lilies', quantity: 1, unitAmount: amount }] },
  });
  await client.request('mutation ($id: ID!) { sendInvoice(id: $id) { id } }', { id: createInvoice.id });
  await client.request(
    'mutation ($input: ChargeInvoicesInput!, $key: String!) { chargeInvoices(input: $input, idempotencyKey: $key) { status } }',
    {
      input: { customerId, invoiceIds: [createInvoice.id], paymentMethodToken: 'pm_card_visa' },
      key: randomUUID(),
    },
  );
  return { id: createInvoice.id, number };
}

describe('the transaction log and the reports', () => {
  it('refunds a payment from the log, then answers a second refund with "a refund has already been issued"', async () => {
    const paid = await paidInvoice('8800');
    const page = await signedInPage(world, '/transactions?kind=CHARGE');
    await hydrated(page);
    const row = page.getByRole('row', { name: new RegExp(paid.number) });
    await row.getByRole('button', { name: /^Refund/ }).click();
    await page.getByText(/^Refund of \$88\.00 succeeded \(Refund [0-9A-F]{6}\)\.$/).waitFor();
    expect(await row.innerText()).toContain('Refunded $88.00');

    // The seeds' message, at the row, when the same payment is refunded again (a fresh form: a new attempt).
    await row.getByRole('button', { name: /^Refund/ }).click();
    const message = row.getByRole('alert');
    await message.waitFor();
    expect(await message.innerText()).toBe('A refund has already been issued for this payment.');
    const { invoice } = await world.merchant
      .client()
      .request<Json>('query ($id: ID!) { invoice(id: $id) { status transactions { kind status } } }', { id: paid.id });
    expect(invoice.transactions.filter((t: Json) => t.kind === 'REFUND')).toEqual([{ kind: 'REFUND', status: 'SUCCEEDED' }]);

    // The refund waits for manual reconciliation: filtered, selected, marked.
    await page.getByLabel('Reconciliation').selectOption('to-reconcile');
    await page.getByLabel('Kind').selectOption('REFUND');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/reconciliation=to-reconcile/);
    await page.getByRole('checkbox', { name: /Reconcile the \$88\.00 refund/ }).check();
    await page.getByRole('button', { name: 'Mark selected reconciled' }).click();
    await page.getByText('1 transaction marked reconciled.').waitFor();

    // CSV: the same filter, through the console with the session.
    const csv = await page.evaluate(async () => (await fetch('/transactions/export.csv?kind=CHARGE')).text());
    expect(csv.split('\n')[0]).toContain('id');
    expect(csv).toContain('88.00');
  });

  it('credits an invoice with a memo and issues its refund (a partial refund)', async () => {
    const paid = await paidInvoice('20000');
    const page = await signedInPage(world, `/invoices/${paid.id}`);
    await hydrated(page);
    await page.getByLabel('Amount to credit (USD)').fill('250');
    await page.getByRole('button', { name: 'Create credit memo' }).click();
    await page.locator('#memo-reason-error').waitFor();
    expect(await page.locator('#memo-reason-error').innerText()).toBe('Say why the customer is credited.');
    await page.getByLabel('Reason').fill('Three stems wilted');
    await page.getByLabel('Amount to credit (USD)').fill('25.00');
    await page.getByRole('button', { name: 'Create credit memo' }).click();
    await page.getByText('Credit memo created: the amount due is lower by its amount.').waitFor();
    await page.getByRole('button', { name: 'Issue refund of $25.00' }).click();
    await page.getByText('Refund issued for the credit memo.').waitFor();
    const { invoice } = await world.merchant
      .client()
      .request<Json>(
        'query ($id: ID!) { invoice(id: $id) { amountPaid { amount } amountCredited { amount } creditMemos { refunds { status amount { amount } } } } }',
        {
          id: paid.id,
        },
      );
    expect(invoice).toEqual({
      amountPaid: { amount: '17500' },
      amountCredited: { amount: '2500' },
      creditMemos: [{ refunds: [{ status: 'SUCCEEDED', amount: { amount: '2500' } }] }],
    });
  });

  it('shows the settlement report with its chart, described in words, and every day in a table', async () => {
    await paidInvoice('5000');
    const page = await signedInPage(world, '/settlement');
    const chart = page.getByRole('img', { name: /Money settled, pending and failed per day/ });
    await chart.waitFor();
    expect(await chart.locator('rect').count()).toBeGreaterThan(0);
    expect(await chart.locator('desc').textContent()).toMatch(/In all: \$[\d,.]+ settled, \$[\d,.]+ pending/);
    expect(
      await page
        .getByRole('table', { name: /Each day’s figures/ })
        .locator('tbody tr')
        .count(),
    ).toBeGreaterThan(0);

    await page.getByLabel('From', { exact: true }).fill('2030-01-10');
    await page.getByLabel('To', { exact: true }).fill('2030-01-01');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('#to-error').waitFor();
    expect(await page.locator('#to-error').innerText()).toBe('The end is before the start.');
  });
});
