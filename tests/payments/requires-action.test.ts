import { randomUUID } from 'node:crypto';
import { CompleteLinkPaymentDocument } from '@kometpay/schema/checkout';
import {
  AddVaultedCardDocument,
  type ChargeInvoicesInput,
  ChargeInvoicesWithDetailDocument,
  VoidInvoiceDocument,
} from '@kometpay/schema/merchant';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { eventually } from '../support/payments.js';
import { openShop, type Shop } from '../support/shop.js';
import { startSmtpServer, type TestMailbox } from '../support/smtp.js';

let t: TestApi;
let mail: TestMailbox;
let shop: Shop;

beforeAll(async () => {
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url, ABANDONED_ACTION_AFTER_SECONDS: '600' });
  shop = await openShop(t, 'Authenticating Flowers', { name: 'Bloom', email: 'ap@bloom.example' });
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const sentInvoice = (total = 8800) => shop.sentInvoice(total);
const pay = (token: string, paymentMethodToken: string, idempotencyKey = randomUUID()) =>
  shop.payWithLink(token, paymentMethodToken, idempotencyKey);
const complete = async (token: string, paymentId: string) =>
  (await shop.checkout.request(CompleteLinkPaymentDocument, { token, paymentId })).completeLinkPayment;
const invoice = (id: string) => shop.readInvoice(id);
/** The customer's answer on the sandbox's challenge page (the page posts this form). */
const challenge = async (url: string, outcome: 'complete' | 'fail') => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `outcome=${outcome}`,
  });
  expect(response.status).toBe(200);
};
const sandboxCaptures = async (invoiceId: string) => {
  const [{ n }] = await t.orm.em.fork().execute<{ n: number }[]>(
    `select count(*)::int as n from sandbox_payment p where p.status = 'succeeded'
     and (p.metadata->>'transactionId')::uuid in (select transaction_id from transaction_allocation where invoice_id = ?)`,
    [invoiceId],
  );
  return n;
};
/** Staff charge the customer's card (manual entry, or a saved card): the customer is not there. */
const charge = async (input: Omit<ChargeInvoicesInput, 'customerId'>) =>
  (
    await shop.client.request(ChargeInvoicesWithDetailDocument, {
      input: { customerId: shop.customerId, ...input },
      idempotencyKey: randomUUID(),
    })
  ).chargeInvoices;

describe('a card that asks for 3-D Secure on the pay page', () => {
  it('waits for the customer: REQUIRES_ACTION with a challenge, the link still payable, nothing captured; completed, it is paid once', async () => {
    const inv = await sentInvoice();
    const waiting = await pay(inv.token, 'pm_card_authenticationRequired');
    expect(waiting).toMatchObject({
      status: 'REQUIRES_ACTION',
      paymentId: expect.any(String),
      receipt: null,
      nextAction: {
        type: 'AUTHENTICATE',
        url: expect.stringMatching(/\/sandbox\/v1\/payment_intents\/pi_sbx_[\w-]+\/challenge$/),
        clientSecret: null,
        microdepositType: null,
      },
      link: { status: 'PAYABLE', amountDue: { amount: '8800' } },
    });
    expect(await invoice(inv.id)).toMatchObject({ status: 'OPEN', amountPaid: { amount: '0' } });
    const page = await fetch(waiting.nextAction!.url!);
    expect(await page.text()).toContain('Complete authentication');

    await challenge(waiting.nextAction!.url!, 'complete');
    const paid = await complete(inv.token, waiting.paymentId!);
    expect(paid).toMatchObject({
      status: 'SUCCEEDED',
      paymentId: waiting.paymentId,
      nextAction: null,
      receipt: { authorizationCode: expect.stringMatching(/^[0-9A-F]{6}$/) },
    });
    expect(paid.link.status).toBe('PAID');
    expect(await complete(inv.token, waiting.paymentId!)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await invoice(inv.id)).toMatchObject({
      status: 'PAID',
      amountPaid: { amount: '8800' },
      transactions: [{ status: 'SUCCEEDED' }],
    });
    expect(await sandboxCaptures(inv.id)).toBe(1);
    await mail.waitFor((m) => m.subject?.toLowerCase().includes('receipt') === true && m.text?.includes(inv.number) === true);
  });

  it('fails the challenge: FAILED as AUTHENTICATION_REQUIRED, the link stays payable, and another card pays it', async () => {
    const inv = await sentInvoice();
    const waiting = await pay(inv.token, 'pm_card_authenticationRequired');
    await challenge(waiting.nextAction!.url!, 'fail');
    expect(await complete(inv.token, waiting.paymentId!)).toMatchObject({
      status: 'FAILED',
      failureCode: 'AUTHENTICATION_REQUIRED',
      nextAction: null,
      link: { status: 'PAYABLE', amountDue: { amount: '8800' } },
    });
    expect((await pay(inv.token, 'pm_card_visa')).status).toBe('SUCCEEDED');
    expect(await invoice(inv.id)).toMatchObject({
      status: 'PAID',
      transactions: [{ status: 'FAILED', failureCode: 'AUTHENTICATION_REQUIRED' }, { status: 'SUCCEEDED' }],
    });
  });

  it('records the outcome from the processor when the page was closed before completeLinkPayment', async () => {
    const inv = await sentInvoice();
    const waiting = await pay(inv.token, 'pm_card_authenticationRequired');
    await challenge(waiting.nextAction!.url!, 'complete');
    // The sandbox tells the API, as Stripe's webhook would; nobody calls completeLinkPayment.
    await eventually(async () => (await invoice(inv.id)).status === 'PAID');
    expect((await invoice(inv.id)).transactions.map(({ id, status, failureCode }) => ({ id, status, failureCode }))).toEqual([
      { id: waiting.paymentId, status: 'SUCCEEDED', failureCode: null },
    ]);
  });

  it('answers a replay of the same key with the same action, and makes no second attempt', async () => {
    const inv = await sentInvoice();
    const key = randomUUID();
    const first = await pay(inv.token, 'pm_card_authenticationRequired', key);
    const again = await pay(inv.token, 'pm_card_authenticationRequired', key);
    expect(again).toEqual(first);
    expect((await invoice(inv.id)).transactions).toHaveLength(1);
  });

  it('cancels an abandoned attempt before a new one starts: at most one attempt ever captures', async () => {
    const inv = await sentInvoice();
    const abandoned = await pay(inv.token, 'pm_card_authenticationRequired');
    expect((await pay(inv.token, 'pm_card_visa')).status).toBe('SUCCEEDED');
    // The customer comes back to the old challenge: the payment was canceled, it cannot capture.
    await challenge(abandoned.nextAction!.url!, 'complete');
    expect(await complete(inv.token, abandoned.paymentId!)).toMatchObject({ status: 'CANCELED', receipt: null });
    expect(await invoice(inv.id)).toMatchObject({ status: 'PAID', amountPaid: { amount: '8800' } });
    expect((await invoice(inv.id)).transactions.map((tx) => tx.status)).toEqual(['CANCELED', 'SUCCEEDED']);
    expect(await sandboxCaptures(inv.id)).toBe(1);
  });

  it('cancels an attempt whose customer never acts, once the setting has passed', async () => {
    const inv = await sentInvoice();
    const waiting = await pay(inv.token, 'pm_card_authenticationRequired');
    t.clock.advance(601_000);
    try {
      await t.orm.em.fork().execute(`select graphile_worker.add_job('recover-payments', '{}'::json)`);
      await eventually(async () => (await invoice(inv.id)).transactions[0].status === 'CANCELED');
    } finally {
      t.clock.advance(-601_000);
    }
    await challenge(waiting.nextAction!.url!, 'complete');
    await t.jobsIdle();
    expect(await invoice(inv.id)).toMatchObject({ status: 'OPEN', amountPaid: { amount: '0' }, transactions: [{ status: 'CANCELED' }] });
  });

  it('cancels a waiting attempt before the invoice is voided', async () => {
    const inv = await sentInvoice();
    const waiting = await pay(inv.token, 'pm_card_authenticationRequired');
    await shop.client.request(VoidInvoiceDocument, { id: inv.id });
    await challenge(waiting.nextAction!.url!, 'complete');
    await t.jobsIdle();
    expect(await invoice(inv.id)).toMatchObject({ status: 'VOID', amountPaid: { amount: '0' }, transactions: [{ status: 'CANCELED' }] });
    expect(await sandboxCaptures(inv.id)).toBe(0);
  });

  it('completes only attempts made through the same link', async () => {
    const one = await sentInvoice();
    const other = await sentInvoice();
    const waiting = await pay(one.token, 'pm_card_authenticationRequired');
    expect(
      await expectGraphQLError(shop.checkout, CompleteLinkPaymentDocument, { token: other.token, paymentId: waiting.paymentId! }),
    ).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'paymentId' },
    });
    expect(
      await expectGraphQLError(shop.checkout, CompleteLinkPaymentDocument, {
        token: 'no-such-token-'.padEnd(43, 'x'),
        paymentId: waiting.paymentId!,
      }),
    ).toMatchObject({
      extensions: { code: 'NOT_FOUND' },
    });
  });
});

describe('cards staff charge for a customer who is not there', () => {
  it('keys a card given by mail or phone (MOTO: outside SCA), and refuses a saved card the issuer wants authenticated, telling staff to send the link', async () => {
    const keyed = await sentInvoice(1200);
    expect(await charge({ invoiceIds: [keyed.id], paymentMethodToken: 'pm_card_authenticationRequired' })).toMatchObject({
      status: 'SUCCEEDED',
    });

    const saved = await sentInvoice(1300);
    const { addVaultedCard } = await (await shop.supervised()).request(AddVaultedCardDocument, {
      customerId: shop.customerId,
      paymentMethodToken: 'pm_card_authenticationRequired',
    });
    const refused = await charge({ invoiceIds: [saved.id], vaultedCardId: addVaultedCard.id });
    expect(refused).toMatchObject({
      status: 'FAILED',
      failureCode: 'AUTHENTICATION_REQUIRED',
      failureMessage: expect.stringMatching(/send the customer the invoice's payment link/),
    });
    expect(await invoice(saved.id)).toMatchObject({ status: 'OPEN', amountPaid: { amount: '0' } });
  });
});
