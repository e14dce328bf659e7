import { CompleteLinkPaymentDocument, PaymentLinkDocument, VerifyMicrodepositsDocument } from '@kometpay/schema/checkout';
import { OutboxEvent, type SandboxPlatform, Transaction } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { bankAccount, tokenise } from '../support/payments.js';
import { openShop, type Shop } from '../support/shop.js';
import { startSmtpServer, type TestMailbox } from '../support/smtp.js';

let t: TestApi;
let mail: TestMailbox;
let shop: Shop;

beforeAll(async () => {
  mail = await startSmtpServer();
  // The bank steps only when a test says so.
  t = await startTestApi({ SMTP_URL: mail.url, SANDBOX_ACH_SETTLE_SECONDS: '3600' });
  shop = await openShop(t, 'Verifying Flowers', { name: 'Bloom & Stem', email: 'ap@bloom.example' });
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

/** The sandbox's accounts that need micro-deposits: one deposit with a code, or two small deposits. */
const ACCOUNTS = { code: '000999999991', amounts: '000999999992' } as const;

async function waitingDebit(kind: keyof typeof ACCOUNTS, total = 31_000) {
  const invoice = await shop.sentInvoice(total);
  const waiting = await shop.payWithLink(invoice.token, await tokenise(t.url, bankAccount(ACCOUNTS[kind])));
  return { invoice, waiting, paymentId: waiting.paymentId! };
}

const verify = (token: string, paymentId: string, answer: { amounts?: string[]; descriptorCode?: string }) =>
  shop.checkout.request(VerifyMicrodepositsDocument, { token, paymentId, ...answer }).then((r) => r.verifyMicrodeposits);

const eventsOf = async (transactionId: string) =>
  (
    await t.orm.em.fork().find(OutboxEvent, { aggregateType: 'transaction', aggregateId: transactionId }, { orderBy: { position: 'asc' } })
  ).map((event) => event.type);

describe('a bank account that needs micro-deposits', () => {
  it('waits for them, emails the customer how to verify, and once the code is right the debit goes on and settles', async () => {
    const { invoice, waiting, paymentId } = await waitingDebit('code');
    expect(waiting).toMatchObject({
      status: 'REQUIRES_ACTION',
      receipt: null,
      nextAction: { type: 'VERIFY_MICRODEPOSITS', url: null, clientSecret: null, microdepositType: 'DESCRIPTOR_CODE' },
      link: { status: 'PAYABLE', amountDue: { amount: '31000' } },
    });
    const email = await mail.waitFor((m) => m.subject === 'Confirm your bank account to pay Verifying Flowers');
    expect(email.to).toMatchObject({ text: 'ap@bloom.example' });
    expect(email.text).toContain('$310.00');
    expect(email.text).toContain(invoice.number);
    expect(email.text).toContain('US bank account •••• 9991');
    expect(email.text).toContain('code starting with SM');
    expect(email.text).toContain(invoice.url);

    const verified = await verify(invoice.token, paymentId, { descriptorCode: 'sm11aa' });
    expect(verified).toMatchObject({
      status: 'PROCESSING',
      paymentId,
      nextAction: null,
      receipt: { method: 'ACH', last4: '9991' },
      link: { status: 'PROCESSING' },
    });
    // Asked again (a second click): how it is now, no second verification.
    expect((await verify(invoice.token, paymentId, { descriptorCode: 'SM11AA' })).status).toBe('PROCESSING');

    const { processorReference } = await t.orm.em.fork().findOneOrFail(Transaction, { id: paymentId });
    await (t.api.deps.processors.platform as SandboxPlatform).controls.advanceAch(processorReference!);
    await t.jobsIdle();
    expect(await shop.readInvoice(invoice.id)).toMatchObject({ status: 'PAID', amountPaid: { amount: '31000' } });
    expect(await eventsOf(paymentId)).toEqual([
      'transaction.created',
      'transaction.requires_action',
      'transaction.processing',
      'transaction.succeeded',
    ]);
    // Exactly one instructions email for the payment.
    expect(
      mail.messages.filter((m) => m.subject?.startsWith('Confirm your bank account') && m.text?.includes(invoice.number)),
    ).toHaveLength(1);
  });

  it('takes the two amounts, in either order, for an account sent two deposits', async () => {
    const { invoice, waiting, paymentId } = await waitingDebit('amounts');
    expect(waiting.nextAction).toMatchObject({ type: 'VERIFY_MICRODEPOSITS', microdepositType: 'AMOUNTS' });
    const email = await mail.waitFor((m) => m.text?.includes(invoice.number) === true && m.subject?.startsWith('Confirm') === true);
    expect(email.text).toContain('two small deposits');
    expect(await verify(invoice.token, paymentId, { amounts: ['45', '32'] })).toMatchObject({ status: 'PROCESSING' });
  });

  it('answers a wrong answer with MICRODEPOSITS_MISMATCH and the attempts left, changing nothing; the tenth fails the payment and the link takes a card', async () => {
    const { invoice, paymentId } = await waitingDebit('code');
    const before = await eventsOf(paymentId);
    for (let left = 9; left >= 1; left--) {
      const refusal = await expectGraphQLError(shop.checkout, VerifyMicrodepositsDocument, {
        token: invoice.token,
        paymentId,
        descriptorCode: 'SM22BB',
      });
      expect(refusal).toMatchObject({
        message: `This code does not match the deposit. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.`,
        extensions: { code: 'MICRODEPOSITS_MISMATCH', attemptsLeft: left },
      });
    }
    expect(await eventsOf(paymentId)).toEqual(before);
    expect((await shop.checkout.request(PaymentLinkDocument, { token: invoice.token })).paymentLink).toMatchObject({ status: 'PAYABLE' });

    const failed = await verify(invoice.token, paymentId, { descriptorCode: 'SM22BB' });
    expect(failed).toMatchObject({
      status: 'FAILED',
      failureCode: 'BANK_ACCOUNT_UNVERIFIED',
      failureMessage: expect.stringMatching(/could not be verified/),
      link: { status: 'PAYABLE', amountDue: { amount: '31000' } },
    });
    expect((await eventsOf(paymentId)).at(-1)).toBe('transaction.failed');
    expect((await shop.payWithLink(invoice.token, 'pm_card_visa')).status).toBe('SUCCEEDED');
    expect(await shop.readInvoice(invoice.id)).toMatchObject({
      status: 'PAID',
      transactions: [{ status: 'FAILED' }, { status: 'SUCCEEDED' }],
    });
  });

  it("mirrors Stripe's test answers that use up every attempt at once (10 and 11, SM33CC)", async () => {
    const { invoice, paymentId } = await waitingDebit('amounts');
    expect(await verify(invoice.token, paymentId, { amounts: ['10', '11'] })).toMatchObject({
      status: 'FAILED',
      failureCode: 'BANK_ACCOUNT_UNVERIFIED',
    });
  });

  it('refuses malformed answers and answers of the other kind before asking the processor, and another link’s payment', async () => {
    const { invoice, paymentId } = await waitingDebit('amounts');
    const other = await shop.sentInvoice(1_000);
    const refusals: [{ amounts?: string[]; descriptorCode?: string }, string][] = [
      [{ amounts: ['32'] }, 'amounts'],
      [{ amounts: ['32', '145'] }, 'amounts'],
      [{ amounts: ['32', '45'], descriptorCode: 'SM11AA' }, 'amounts'],
      [{}, 'amounts'],
      [{ descriptorCode: 'XX11AA' }, 'descriptorCode'],
      // A code for an account that was sent two deposits: the amounts are what is asked for.
      [{ descriptorCode: 'SM11AA' }, 'amounts'],
    ];
    for (const [answer, field] of refusals) {
      expect(
        await expectGraphQLError(shop.checkout, VerifyMicrodepositsDocument, { token: invoice.token, paymentId, ...answer }),
      ).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field },
      });
    }
    expect(
      await expectGraphQLError(shop.checkout, VerifyMicrodepositsDocument, { token: other.token, paymentId, amounts: ['32', '45'] }),
    ).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'paymentId' } });
    // Nothing was used up: the right answer still verifies.
    expect(await verify(invoice.token, paymentId, { amounts: ['32', '45'] })).toMatchObject({ status: 'PROCESSING' });
    expect((await shop.checkout.request(CompleteLinkPaymentDocument, { token: invoice.token, paymentId })).completeLinkPayment.status).toBe(
      'PROCESSING',
    );
  });

  it('is not abandoned after the 3-D Secure hour; a card paid meanwhile cancels it first', async () => {
    const { invoice, paymentId } = await waitingDebit('code');
    t.clock.advance(2 * 3_600_000);
    try {
      await t.orm.em.fork().execute(`select graphile_worker.add_job('recover-payments', '{}'::json)`);
      await t.jobsIdle();
      expect((await shop.transaction(paymentId)).status).toBe('REQUIRES_ACTION');
    } finally {
      t.clock.advance(-2 * 3_600_000);
    }
    expect((await shop.payWithLink(invoice.token, 'pm_card_visa')).status).toBe('SUCCEEDED');
    expect((await shop.transaction(paymentId)).status).toBe('CANCELED');
    expect(await verify(invoice.token, paymentId, { descriptorCode: 'SM11AA' })).toMatchObject({
      status: 'CANCELED',
      link: { status: 'PAID' },
    });
  });

  it('cancels one still waiting after ten days, at the processor: it can no longer be verified', async () => {
    const { invoice, paymentId } = await waitingDebit('amounts');
    t.clock.advance(10 * 86_400_000 + 1_000);
    try {
      await t.orm.em.fork().execute(`select graphile_worker.add_job('recover-payments', '{}'::json)`);
      await t.jobsIdle();
      expect((await shop.transaction(paymentId)).status).toBe('CANCELED');
    } finally {
      t.clock.advance(-(10 * 86_400_000 + 1_000));
    }
    expect(await verify(invoice.token, paymentId, { amounts: ['32', '45'] })).toMatchObject({
      status: 'CANCELED',
      link: { status: 'PAYABLE' },
    });
  });

  it('a bank account staff enter (with the customer’s signed authorization) is not asked for micro-deposits', async () => {
    const invoice = await shop.sentInvoice(2_000);
    const debit = await shop.charge([invoice.id], await tokenise(t.url, bankAccount(ACCOUNTS.code)));
    expect(debit.status).toBe('PROCESSING');
  });
});
