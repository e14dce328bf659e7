import type { Page } from 'playwright-core';
import type { TestApi } from '../support/api.js';
import { fillCard, focusedId, heading, screenshot, text } from '../support/browser.js';
import type { TestMailbox } from '../support/smtp.js';
import { expectAccessible, PayPageRig } from './support.js';

/** The sandbox's card that always asks for 3-D Secure (Stripe's 4000 0027 6000 3184). */
const CHALLENGED_CARD = '4000 0027 6000 3184';
/** The sandbox's bank accounts that need micro-deposits: one deposit with a code, or two small deposits. */
const CODE_ACCOUNT = '000999999991';
const AMOUNTS_ACCOUNT = '000999999992';

let rig: PayPageRig;
let t: TestApi;
let mail: TestMailbox;

beforeAll(async () => {
  rig = await PayPageRig.start();
  ({ t, mail } = rig);
}, 60_000);

afterEach(async () => {
  expect(await rig.closePages()).toEqual([]);
});

afterAll(() => rig?.close());

/** Captured payments of an invoice at the sandbox (its own records, not ours). */
async function captures(invoiceId: string): Promise<number> {
  const [{ n }] = await t.orm.em.fork().execute<{ n: number }[]>(
    `select count(*)::int as n from sandbox_payment p where p.status in ('succeeded', 'processing')
     and (p.metadata->>'transactionId')::uuid in (select transaction_id from transaction_allocation where invoice_id = ?)`,
    [invoiceId],
  );
  return n;
}

async function payByCard(page: Page, number: string) {
  await fillCard(page, number);
  await page.getByRole('button', { name: 'Pay $289.90' }).click();
}

async function payByBank(page: Page, account: string) {
  await page.getByLabel('US bank account (ACH)').check();
  await page.getByLabel('Account holder name').fill('Bloom & Stem');
  await page.getByLabel('Routing number').fill('110000000');
  await page.getByLabel('Account number').fill(account);
  await page.getByRole('button', { name: 'Pay $289.90' }).click();
}

/** Pays with the challenged card and waits for the sandbox's 3-D Secure page. */
async function toChallenge(page: Page) {
  await payByCard(page, CHALLENGED_CARD);
  await heading(page, 'Authenticate this card payment');
  expect(new URL(page.url()).pathname).toMatch(/^\/sandbox\/v1\/payment_intents\/pi_sbx_[\w-]+\/challenge$/);
}

describe('3-D Secure on the pay page (sandbox)', () => {
  it('takes the customer to the bank’s check and back, and shows the receipt: the invoice is paid once', async () => {
    const sent = await rig.sentInvoice();
    const page = await rig.openPayable(sent.url);
    await toChallenge(page);
    expect(await page.locator('main').innerText()).toContain('$289.90');
    await expectAccessible(page);
    await screenshot(page, '3ds-challenge', 'docs/images/checkout-3ds-challenge.png');

    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await heading(page, 'Payment successful');
    expect(new URL(page.url()).pathname).toBe(new URL(sent.url).pathname);
    expect(await page.locator('.receipt').innerText()).toContain('Visa credit card ending in 3184');
    expect(await text(page, '.amount-due')).toBe('$0.00');
    await expectAccessible(page);
    await screenshot(page, '3ds-completed');

    expect(await rig.invoice(sent.id)).toMatchObject({ status: 'PAID', transactions: [{ status: 'SUCCEEDED' }] });
    expect(await captures(sent.id)).toBe(1);
    // The address names the payment: a reload shows its receipt again, and pays nothing.
    await page.reload();
    await heading(page, 'Payment successful');
    expect(await captures(sent.id)).toBe(1);
    await page.goto(sent.url);
    await heading(page, 'This invoice is paid');
  });

  it('explains a failed check, keeps the link payable, and takes another card', async () => {
    const sent = await rig.sentInvoice();
    const page = await rig.openPayable(sent.url);
    await toChallenge(page);
    await page.getByRole('button', { name: 'Fail authentication' }).click();

    await page.locator('#payment-problem:not(:empty)').waitFor();
    expect(await page.getByRole('alert').innerText()).toBe(
      'Your bank could not confirm this payment, so your card was not charged. Please try again, or use another card.',
    );
    expect(await text(page, '.amount-due')).toBe('$289.90');
    await expectAccessible(page);
    await screenshot(page, '3ds-failed');

    await page.waitForSelector('button[type=submit]:not([disabled])');
    await payByCard(page, '4242 4242 4242 4242');
    await heading(page, 'Payment successful');
    expect((await rig.invoice(sent.id)).transactions.map((tx) => [tx.status, tx.failureCode])).toEqual([
      ['FAILED', 'AUTHENTICATION_REQUIRED'],
      ['SUCCEEDED', null],
    ]);
    expect(await captures(sent.id)).toBe(1);
  });

  it('cancels a check the customer abandoned when they pay with another card: one capture, even if they finish the old check later', async () => {
    const sent = await rig.sentInvoice();
    const page = await rig.openPayable(sent.url);
    await toChallenge(page);
    const abandonedChallenge = page.url();

    // The customer leaves the bank's page and comes back to the link to pay with another card.
    await page.goto(sent.url);
    await page.waitForSelector('button[type=submit]:not([disabled])');
    expect(await text(page, '.amount-due')).toBe('$289.90');
    await payByCard(page, '4242 4242 4242 4242');
    await heading(page, 'Payment successful');

    // The old check, finished from another tab: it can no longer capture, and the page says the invoice is paid.
    const old = await rig.newPage();
    await old.goto(abandonedChallenge);
    await heading(old, 'This invoice is paid');
    expect((await rig.invoice(sent.id)).transactions.map((tx) => tx.status)).toEqual(['CANCELED', 'SUCCEEDED']);
    expect(await captures(sent.id)).toBe(1);
  });
});

describe('micro-deposits on the pay page (sandbox)', () => {
  it('asks for the code, emails the customer a way back, and on the right code the bank payment goes on', async () => {
    const sent = await rig.sentInvoice();
    const page = await rig.openPayable(sent.url);
    await payByBank(page, CODE_ACCOUNT);

    await heading(page, 'Confirm your bank account');
    expect(await focusedId(page)).toBe('screen-title');
    expect(await page.locator('.payment-form').innerText()).toContain('6-character code starting with SM');
    await expectAccessible(page);
    await screenshot(page, 'microdeposits-code', 'docs/images/checkout-microdeposits.png');

    // The customer comes back from the email a day later, on another page.
    const email = await mail.waitFor(
      (m) => m.subject?.startsWith('Confirm your bank account') === true && m.text?.includes(sent.number) === true,
    );
    const back = email.text!.match(/http:\/\/\S+\?payment=[0-9a-f-]{36}/)![0];
    await page.close();
    const later = await rig.newPage();
    await later.goto(back);
    await heading(later, 'Confirm your bank account');
    await later.waitForSelector('button[type=submit]:not([disabled])');
    await later.getByLabel('Code from the deposit').fill('sm11aa');
    await later.getByRole('button', { name: 'Confirm bank account' }).click();

    await heading(later, 'Payment processing');
    expect(await later.locator('.receipt').innerText()).toContain('Bank account ending in 9991');
    await expectAccessible(later);
    await heading(later, 'Payment received');
    expect(await rig.invoice(sent.id)).toMatchObject({ status: 'PAID', transactions: [{ status: 'SUCCEEDED', method: 'ACH' }] });
  });

  it('says how many tries are left after wrong amounts, then takes the right ones, on a 360 px phone', async () => {
    const sent = await rig.sentInvoice();
    const page = await rig.openPayable(sent.url, { width: 360, height: 800 });
    await payByBank(page, AMOUNTS_ACCOUNT);
    await heading(page, 'Confirm your bank account');

    // Not an amount under a dollar: refused on the page, nothing sent.
    await page.getByLabel('First deposit').fill('1.50');
    await page.getByLabel('Second deposit').fill('0.45');
    await page.getByRole('button', { name: 'Confirm bank account' }).click();
    await page.locator('#first-deposit-error:not(:empty)').waitFor();
    expect(await focusedId(page)).toBe('first-deposit');

    await page.getByLabel('First deposit').fill('0.12');
    await page.getByRole('button', { name: 'Confirm bank account' }).click();
    await page.locator('#payment-problem:not(:empty)').waitFor();
    expect(await page.getByRole('alert').innerText()).toBe(
      'These amounts do not match the deposits in your account. Please check your statement and try again: 9 tries left.',
    );
    expect(await focusedId(page)).toBe('first-deposit');
    expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(360);
    await expectAccessible(page);
    await screenshot(page, 'microdeposits-wrong', 'docs/images/checkout-microdeposits-wrong.png');

    await page.getByLabel('First deposit').fill('0.32');
    await page.getByLabel('Second deposit').fill('45');
    await page.getByRole('button', { name: 'Confirm bank account' }).click();
    await heading(page, 'Payment processing');
    expect((await rig.invoice(sent.id)).transactions.map((tx) => tx.status)).toEqual(['PROCESSING']);
  });

  it('fails the bank payment after ten wrong answers, and the link takes a card', async () => {
    const sent = await rig.sentInvoice();
    const page = await rig.openPayable(sent.url);
    await payByBank(page, CODE_ACCOUNT);
    await heading(page, 'Confirm your bank account');
    const code = page.getByLabel('Code from the deposit');
    for (let left = 9; left >= 1; left--) {
      await code.fill('SM99ZZ');
      await page.getByRole('button', { name: 'Confirm bank account' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: `${left} ${left === 1 ? 'try' : 'tries'} left` })
        .waitFor();
    }
    await code.fill('SM99ZZ');
    await page.getByRole('button', { name: 'Confirm bank account' }).click();

    await heading(page, 'Payment details');
    expect(await page.getByRole('alert').innerText()).toBe(
      'Your bank account could not be verified, so nothing was taken from it. Please pay with a card or another bank account.',
    );
    await expectAccessible(page);
    await payByCard(page, '4242 4242 4242 4242');
    await heading(page, 'Payment successful');
    expect((await rig.invoice(sent.id)).transactions.map((tx) => [tx.status, tx.failureCode])).toEqual([
      ['FAILED', 'BANK_ACCOUNT_UNVERIFIED'],
      ['SUCCEEDED', null],
    ]);
  });

  it('lets the customer pay another way instead: the waiting bank payment is canceled, the card captured once', async () => {
    const sent = await rig.sentInvoice();
    const page = await rig.openPayable(sent.url);
    await payByBank(page, CODE_ACCOUNT);
    await heading(page, 'Confirm your bank account');
    await page.getByRole('button', { name: 'Pay another way' }).click();
    await heading(page, 'Payment details');
    await page.getByLabel('Card', { exact: true }).check();
    await payByCard(page, '4242 4242 4242 4242');
    await heading(page, 'Payment successful');
    expect((await rig.invoice(sent.id)).transactions.map((tx) => tx.status)).toEqual(['CANCELED', 'SUCCEEDED']);
    expect(await captures(sent.id)).toBe(1);
  });
});
