import { randomUUID } from 'node:crypto';
import { PaymentLinkDocument, PayWithLinkDocument } from '@kometpay/schema/checkout';
import { InvoiceWithPaymentsDocument } from '@kometpay/schema/merchant';
import { OutboxEvent, SandboxPayment } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { bankAccount, card, eventually, TEST_CARDS, tokenise } from '../support/payments.js';
import { openShop, type Shop } from '../support/shop.js';
import { startSmtpServer, type TestMailbox } from '../support/smtp.js';
import { cardFee, emailedInvoice } from './support.js';

let t: TestApi;
let mail: TestMailbox;
let shop: Shop;
let merchant: TestMerchant;

beforeAll(async () => {
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url, SANDBOX_ACH_SETTLE_SECONDS: '1', PAYMENT_RECOVERY_AFTER_SECONDS: '0' });
  shop = await openShop(t, 'Acme Flowers', { name: 'Bloom & Stem', email: 'ap@bloom.example' });
  merchant = shop.merchant;
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const sentInvoice = (total?: string) => emailedInvoice(shop, mail, total);

const pay = async (token: string, paymentMethodToken: string, idempotencyKey = randomUUID()) =>
  (await t.checkout.request(PayWithLinkDocument, { token, paymentMethodToken, idempotencyKey })).payWithLink;
const link = async (token: string) => (await t.checkout.request(PaymentLinkDocument, { token })).paymentLink;
const invoice = async (id: string) => (await merchant.client().request(InvoiceWithPaymentsDocument, { id })).invoice!;

describe('paying by link', () => {
  it('pays by credit card: SUCCEEDED, a receipt, the invoice PAID, the fee recorded, a receipt email', async () => {
    const { id, number, token } = await sentInvoice();
    const pm = await tokenise(t.url, card(TEST_CARDS.visaCredit));
    const result = await pay(token, pm);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      failureCode: null,
      receipt: {
        amount: { amount: '33990', formatted: '$339.90' },
        method: 'CREDIT_CARD',
        brand: 'visa',
        last4: '4242',
        authorizationCode: expect.stringMatching(/^[0-9A-F]{6}$/),
      },
      link: { status: 'PAID', amountPaid: { amount: '33990' }, amountDue: { amount: '0' } },
    });
    const after = await invoice(id);
    expect(after).toMatchObject({ status: 'PAID', amountDue: { amount: '0' } });
    expect(after.transactions[0]).toMatchObject({
      channel: 'PAYMENT_LINK',
      method: 'CREDIT_CARD',
      status: 'SUCCEEDED',
      fee: { amount: cardFee(33990n).toString() },
      settlement: 'PENDING',
    });
    const receipt = await mail.waitFor((m) => m.subject?.toLowerCase().includes('receipt') === true && m.text?.includes(number) === true);
    expect(receipt.text).toContain('4242');
  });

  it('pays by debit card: method DEBIT_CARD', async () => {
    const { id, token } = await sentInvoice('12000');
    const result = await pay(token, await tokenise(t.url, card(TEST_CARDS.visaDebit)));
    expect(result.receipt).toMatchObject({ method: 'DEBIT_CARD', last4: '5556' });
    expect((await invoice(id)).transactions[0].method).toBe('DEBIT_CARD');
  });

  it('declines, says why, takes nothing, then succeeds with another card', async () => {
    const { id, token } = await sentInvoice();
    const declined = await pay(token, await tokenise(t.url, card(TEST_CARDS.declined)));
    expect(declined).toMatchObject({
      status: 'FAILED',
      failureCode: 'PAYMENT_DECLINED',
      receipt: null,
      link: { status: 'PAYABLE', amountDue: { amount: '33990' } },
    });
    expect(declined.failureMessage).toMatch(/declined/i);
    for (const [number, code] of [
      [TEST_CARDS.insufficientFunds, 'INSUFFICIENT_FUNDS'],
      [TEST_CARDS.expired, 'CARD_EXPIRED'],
    ]) {
      expect(await pay(token, await tokenise(t.url, card(number)))).toMatchObject({ status: 'FAILED', failureCode: code });
    }
    expect(await pay(token, 'pm_card_chargeDeclined')).toMatchObject({ status: 'FAILED', failureCode: 'PAYMENT_DECLINED' });
    const success = await pay(token, 'pm_card_visa');
    expect(success.status).toBe('SUCCEEDED');
    const after = await invoice(id);
    expect(after.status).toBe('PAID');
    expect(after.transactions.map((tx) => tx.status)).toEqual(['FAILED', 'FAILED', 'FAILED', 'FAILED', 'SUCCEEDED']);
    expect(after.transactions.filter((tx) => tx.status === 'FAILED').every((tx) => tx.fee === null && tx.settlement === 'FAILED')).toBe(
      true,
    );
  });

  it('refuses payment on a paid link, and an unknown or unusable token', async () => {
    const { token } = await sentInvoice();
    await pay(token, 'pm_card_visa');
    const again = await expectGraphQLError(t.checkout, PayWithLinkDocument, {
      token,
      paymentMethodToken: 'pm_card_visa',
      idempotencyKey: randomUUID(),
    });
    expect(again.extensions?.code).toBe('INVOICE_ALREADY_PAID');
    expect(
      (
        await expectGraphQLError(t.checkout, PayWithLinkDocument, {
          token: 'nope',
          paymentMethodToken: 'pm_card_visa',
          idempotencyKey: randomUUID(),
        })
      ).extensions?.code,
    ).toBe('NOT_FOUND');
    const fresh = await sentInvoice();
    const invalid = await expectGraphQLError(t.checkout, PayWithLinkDocument, {
      token: fresh.token,
      paymentMethodToken: 'pm_not_a_token',
      idempotencyKey: randomUUID(),
    });
    expect(invalid.extensions).toMatchObject({ code: 'INVALID_PAYMENT_METHOD', field: 'paymentMethodToken' });
    expect((await invoice(fresh.id)).transactions).toEqual([]);
  });

  it('refuses the real card numbers the sandbox tokeniser does not know', async () => {
    const response = await fetch(`${t.url}/sandbox/v1/payment_methods`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(card('5555555555554444')).toString(),
    });
    expect(response.status).toBe(402);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('card_not_test');
  });

  it('takes ACH as PROCESSING, refuses a second payment meanwhile, then settles', async () => {
    const { id, token } = await sentInvoice('250000');
    const result = await pay(token, await tokenise(t.url, bankAccount('000123456789')));
    expect(result).toMatchObject({ status: 'PROCESSING', receipt: { method: 'ACH', last4: '6789' }, link: { status: 'PROCESSING' } });
    expect((await link(token))?.status).toBe('PROCESSING');
    expect(
      (
        await expectGraphQLError(t.checkout, PayWithLinkDocument, {
          token,
          paymentMethodToken: 'pm_card_visa',
          idempotencyKey: randomUUID(),
        })
      ).extensions?.code,
    ).toBe('PAYMENT_IN_PROGRESS');

    const settled = await eventually(async () => {
      const current = await invoice(id);
      return current.status === 'PAID' && current;
    });
    expect(settled.transactions[0]).toMatchObject({ status: 'SUCCEEDED', method: 'ACH', settlement: 'SETTLED', fee: { amount: '500' } }); // 0.8% capped at $5
    expect((await link(token))?.status).toBe('PAID');
  });

  it('reopens the invoice when an ACH payment is returned after success', async () => {
    const { id, token } = await sentInvoice('40000');
    expect((await pay(token, await tokenise(t.url, bankAccount('000111111116')))).status).toBe('PROCESSING');
    await eventually(async () => (await invoice(id)).status === 'PAID');
    const reopened = await eventually(async () => {
      const current = await invoice(id);
      return current.status === 'OPEN' && current;
    });
    expect(reopened.amountDue.amount).toBe('40000');
    expect(reopened.transactions[0]).toMatchObject({ status: 'RETURNED', settlement: 'RETURNED', failureCode: 'PAYMENT_DECLINED' });
    expect((await link(token))?.status).toBe('PAYABLE');
    const events = await t.orm.em.fork().find(OutboxEvent, { aggregateId: reopened.transactions[0].id }, { orderBy: { position: 'asc' } });
    expect(events.map((e) => e.type)).toEqual([
      'transaction.created',
      'transaction.processing',
      'transaction.succeeded',
      'transaction.returned',
    ]);
  });

  it('charges exactly once when 20 payments race on one invoice', async () => {
    const { id, token } = await sentInvoice();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => pay(token, 'pm_card_visa')));
    const succeeded = results.filter((r) => r.status === 'fulfilled' && r.value.status === 'SUCCEEDED');
    expect(succeeded).toHaveLength(1);
    const refusals = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => String(r.reason?.response?.errors?.[0]?.extensions?.code));
    expect(new Set(refusals).size).toBeLessThanOrEqual(2);
    for (const code of refusals) expect(['PAYMENT_IN_PROGRESS', 'INVOICE_ALREADY_PAID']).toContain(code);
    const after = await invoice(id);
    expect(after.transactions.filter((tx) => tx.status === 'SUCCEEDED')).toHaveLength(1);
    const charges = await t.orm.em
      .fork()
      .count(SandboxPayment, { metadata: { transactionId: { $in: after.transactions.map((tx) => tx.id) } } } as never);
    expect(charges).toBe(1);
  });

  it('replays the same key without a second charge, and refuses the key with another input', async () => {
    const { id, token } = await sentInvoice();
    const key = randomUUID();
    const first = await pay(token, 'pm_card_visa', key);
    const replay = await pay(token, 'pm_card_visa', key);
    expect(replay.receipt).toEqual(first.receipt);
    expect((await invoice(id)).transactions).toHaveLength(1);
    const reused = await expectGraphQLError(t.checkout, PayWithLinkDocument, {
      token,
      paymentMethodToken: 'pm_card_visa_debit',
      idempotencyKey: key,
    });
    expect(reused.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
