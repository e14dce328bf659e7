import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { fillCard } from '../support/browser.js';
import { payLinkIn } from '../support/smtp.js';
import { type ConsoleWorld, fillConsoleCard, hydrated, signedInPage, startConsoleWorld } from './support.js';

type Json = Record<string, any>;
let world: ConsoleWorld;
let customerId: string;

beforeAll(async () => {
  world = await startConsoleWorld({ withCheckout: true });
  const { createCustomer } = await world.merchant
    .client()
    .request<Json>('mutation { createCustomer(input: { name: "Bloom & Stem", email: "ap@bloom.example" }) { id } }');
  customerId = createCustomer.id;
}, 60_000);
afterEach(async () => expect(await world.closePages()).toEqual([]));
afterAll(async () => {
  if (process.env.DEBUG_CONSOLE) console.log(world?.console.output());
  await world?.close();
});

const invoiceStatus = async (id: string) =>
  (await world.merchant.client().request<Json>('query ($id: ID!) { invoice(id: $id) { status amountDue { amount } } }', { id })).invoice;

/** A sent invoice of the customer, made through the API as the ERP would. */
async function sentInvoice(amount: string): Promise<{ id: string; number: string }> {
  const number = `INV-${randomUUID().slice(0, 6).toUpperCase()}`;
  const { createInvoice } = await world.merchant
    .client()
    .request<Json>('mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }', {
      input: {
        customerId,
        number,
        currency: 'USD',
        dueDate: '2030-06-30',
        lines: [{ description: 'Roses', quantity: 1, unitAmount: amount }],
      },
    });
  await world.merchant.client().request('mutation ($id: ID!) { sendInvoice(id: $id) { id } }', { id: createInvoice.id });
  return { id: createInvoice.id, number };
}

const invoiceIdOf = (page: Page) => new URL(page.url()).pathname.split('/').pop()!;

describe('invoices in the console', () => {
  it('creates an invoice with lines (bad input answered at its field, nothing created), sends it, and sees it paid through its link without a reload', async () => {
    const page = await signedInPage(world, `/invoices/new?customer=${customerId}`);
    await hydrated(page);
    const number = `C-${randomUUID().slice(0, 6).toUpperCase()}`;
    await page.getByLabel('Invoice number').fill(number);
    await page.getByLabel('Line 1 description').fill('Red roses, 50 stems');
    await page.getByLabel('Line 1 quantity').fill('4');
    await page.getByLabel('Line 1 unit price (USD)').fill('62.5O');
    await page.getByRole('button', { name: 'Add a line' }).click();
    await page.getByLabel('Line 4 description').waitFor();
    await page.getByLabel('Line 2 description').fill('Eucalyptus, bunch');
    await page.getByLabel('Line 2 quantity').fill('3');
    await page.getByLabel('Line 2 unit price (USD)').fill('13.30');
    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.locator('#line-0-unitPrice-error').waitFor();
    expect(await page.locator('#line-0-unitPrice-error').innerText()).toBe('Enter a price in USD, like 12.50.');
    expect(await page.getByLabel('Line 1 unit price (USD)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Line 2 description').inputValue()).toBe('Eucalyptus, bunch');
    expect((await world.merchant.client().request<Json>('{ invoices(first: 5) { edges { node { number } } } }')).invoices.edges).toEqual(
      [],
    );

    await page.getByLabel('Line 1 unit price (USD)').fill('62.50');
    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.getByRole('heading', { level: 1, name: new RegExp(`Invoice ${number}`) }).waitFor();
    await hydrated(page);
    expect(await page.locator('.details').innerText()).toContain('$289.90');
    expect(await page.locator('h1 .badge').innerText()).toBe('Draft');

    await page.getByRole('button', { name: 'Send invoice' }).click();
    await page.getByText('Invoice sent: the customer was emailed a payment link.').waitFor();
    expect(await page.locator('h1 .badge').first().innerText()).toBe('Open');
    expect(await page.getByRole('table', { name: 'Every link the invoice had, newest first' }).innerText()).toContain('Active');
    const email = await world.mail.waitFor((message) => message.subject?.includes(number) === true);
    const link = payLinkIn(email);

    // The customer pays through the link in another tab: the console's page changes by itself.
    const pay = await world.newPage();
    await pay.goto(link);
    await pay.waitForSelector('button[type=submit]:not([disabled])');
    await fillCard(pay, '4242 4242 4242 4242');
    await pay.getByRole('button', { name: 'Pay $289.90' }).click();
    await pay.getByRole('heading', { name: 'Payment successful' }).waitFor();

    await page.locator('h1 .badge', { hasText: 'Paid' }).waitFor({ timeout: 10_000 });
    await page
      .locator('.live p', { hasText: /Payment of \$289\.90 from Bloom & Stem/ })
      .first()
      .waitFor();
    expect(await page.getByRole('table', { name: /Transactions applied to this invoice/ }).innerText()).toContain('Payment link');
    expect(await invoiceStatus(invoiceIdOf(page))).toEqual({ status: 'PAID', amountDue: { amount: '0' } });
  });

  it('records a check payment, answering a bad amount at its field', async () => {
    const sent = await sentInvoice('10000');
    const page = await signedInPage(world, `/invoices/${sent.id}`);
    await hydrated(page);
    await page.getByLabel('Amount received (USD)').fill('forty');
    await page.getByRole('button', { name: 'Record payment' }).click();
    await page.locator('#offline-amount-error').waitFor();
    expect(await invoiceStatus(sent.id)).toEqual({ status: 'OPEN', amountDue: { amount: '10000' } });
    await page.getByLabel('Amount received (USD)').fill('40.00');
    await page.getByLabel('Check or receipt number (optional)').fill('CHK-1001');
    await page.getByRole('button', { name: 'Record payment' }).click();
    await page.getByText('Payment recorded (succeeded).').waitFor();
    expect(await invoiceStatus(sent.id)).toEqual({ status: 'PARTIALLY_PAID', amountDue: { amount: '6000' } });
  });
});

describe('taking payments in the console', () => {
  it('pays two invoices in one card payment (Pay Invoices), the card going only to the tokeniser', async () => {
    const [first, second] = [await sentInvoice('12500'), await sentInvoice('7450')];
    const page = await signedInPage(world, '/payments/invoices');
    await page.getByRole('searchbox', { name: 'Customer' }).fill('bloom');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('link', { name: 'Bloom & Stem' }).click();
    await page.getByRole('heading', { name: /Pay invoices of/ }).waitFor();
    await hydrated(page);
    const carrying: string[] = [];
    page.on('request', (request) => {
      if (request.postData()?.includes('4242424242424242')) carrying.push(request.url());
    });

    // Nothing chosen: the message is at the list, and nothing moved.
    await fillConsoleCard(page, '4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Pay selected invoices' }).click();
    await page.locator('#invoices-error').waitFor();
    expect(await invoiceStatus(first.id)).toEqual({ status: 'OPEN', amountDue: { amount: '12500' } });
    await page.getByRole('checkbox', { name: new RegExp(`${first.number}: `) }).check();
    await page.getByRole('checkbox', { name: new RegExp(`${second.number}: `) }).check();
    await page.getByRole('button', { name: 'Pay selected invoices' }).click();
    await page.getByText(/Payment of \$199\.50 approved, authorization code [0-9A-F]{6}\./).waitFor();

    expect(new Set(carrying)).toEqual(new Set([`${world.t.url}/sandbox/v1/payment_methods`]));
    expect(await invoiceStatus(first.id)).toEqual({ status: 'PAID', amountDue: { amount: '0' } });
    expect(await invoiceStatus(second.id)).toEqual({ status: 'PAID', amountDue: { amount: '0' } });
  });

  it('explains a decline and takes nothing', async () => {
    const sent = await sentInvoice('3000');
    const page = await signedInPage(world, `/payments/invoices?customer=${customerId}&invoice=${sent.id}`);
    await hydrated(page);
    await fillConsoleCard(page, '4000 0000 0000 0002');
    await page.getByRole('button', { name: 'Pay selected invoices' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /^Declined: / })
      .waitFor();
    expect(await invoiceStatus(sent.id)).toEqual({ status: 'OPEN', amountDue: { amount: '3000' } });
  });

  it('shows saved cards behind the supervisor password, adds and deletes one, and sends a New CC Link', async () => {
    const page = await signedInPage(world, `/customers/${customerId}`);
    await page.getByRole('heading', { name: 'Saved cards (KPVault)' }).waitFor();
    await page.getByLabel('Supervisor password').fill('not the supervisor password');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.locator('#supervisor-password-error').waitFor();
    expect(await page.locator('#supervisor-password-error').innerText()).toBe('That is not the supervisor password.');
    await page.getByLabel('Supervisor password').fill(world.merchant.supervisorPassword);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${world.console.url}/customers/${customerId}`);
    await page.getByText('No saved cards.').waitFor();
    await hydrated(page);

    await fillConsoleCard(page, '4000 0566 5566 5556');
    await page.getByRole('button', { name: 'Save card' }).click();
    await page.getByText('Visa ending in 5556 saved.').waitFor();
    expect(await page.locator('.card-list').innerText()).toContain('Visa ending in 5556, expires 12/2034');

    await page.getByRole('button', { name: 'Send New CC Link' }).click();
    await page.getByText('A link to add a card was emailed to the customer.').waitFor();
    await world.mail.waitFor((message) => JSON.stringify(message.to).includes('ap@bloom.example') && /card/i.test(message.subject ?? ''));

    // The saved card pays an invoice (Pay Invoices, approval still open).
    const sent = await sentInvoice('2500');
    const pay = await signedInPage(world, `/payments/invoices?customer=${customerId}&invoice=${sent.id}`);
    await hydrated(pay);
    await pay.getByLabel(/Saved Visa ending in 5556/).check();
    await pay.getByRole('button', { name: 'Pay selected invoices' }).click();
    await pay.getByText(/Payment of \$25\.00 approved/).waitFor();
    expect(await invoiceStatus(sent.id)).toEqual({ status: 'PAID', amountDue: { amount: '0' } });

    await page.getByRole('button', { name: /Delete the Visa ending in 5556/ }).click();
    await page.getByText('Card deleted.').waitFor();
    await page.getByText('No saved cards.').waitFor();
  });

  it('charges the virtual terminal, flagged for manual reconciliation', async () => {
    const page = await signedInPage(world, '/payments/virtual-terminal');
    await hydrated(page);
    await page.getByRole('button', { name: 'Charge card' }).click();
    await page.locator('#card-number-error, #vt-card-number-error').first().waitFor();
    await page.getByLabel('Amount').fill('42.00');
    await page.getByLabel('What it is for').fill('Walk-in bouquet');
    await fillConsoleCard(page, '4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Charge card' }).click();
    await page.getByText(/Payment of \$42\.00 approved.*flagged for manual reconciliation/).waitFor();
    const { transactions } = await world.merchant
      .client()
      .request<Json>(
        '{ transactions(first: 1, filter: { channel: VIRTUAL_TERMINAL }) { edges { node { status requiresManualReconciliation amount { amount } } } } }',
      );
    expect(transactions.edges[0].node).toEqual({ status: 'SUCCEEDED', requiresManualReconciliation: true, amount: { amount: '4200' } });
  });
});
