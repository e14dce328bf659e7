import { CompleteLinkPaymentDocument, VerifyMicrodepositsDocument } from '@kometpay/schema/checkout';
import { OutboxEvent } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { bankAccount, tokenise } from '../support/payments.js';
import { outcome, Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  // A processor that takes a moment, so that the racers really overlap.
  t = await startTestApi({ SANDBOX_LATENCY_MS: '30' });
  shop = await Shop.open(await t.createMerchant('Challenged Flowers'), t.url);
});
afterAll(() => scanAndClose('payments awaiting their customer', t));

/** The pay page's payment: one waiting for 3-D Secure answers its id and its challenge's URL. */
const pay = async (token: string, paymentMethodToken: string) => {
  const result = await shop.payWithLink(token, paymentMethodToken);
  return { ...result, paymentId: result.paymentId!, challengeUrl: result.nextAction?.url ?? '' };
};
const complete = async (token: string, paymentId: string) =>
  (await shop.checkout.request(CompleteLinkPaymentDocument, { token, paymentId })).completeLinkPayment;
const challenge = (url: string, outcome: 'complete' | 'fail') =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `outcome=${outcome}` });
const captures = async (invoiceId: string) => {
  const [{ n }] = await t.orm.em.fork().execute<{ n: number }[]>(
    `select count(*)::int as n from sandbox_payment p where p.status in ('succeeded', 'processing')
     and (p.metadata->>'transactionId')::uuid in (select transaction_id from transaction_allocation where invoice_id = ?)`,
    [invoiceId],
  );
  return n;
};

describe('payments that wait for their customer, raced', () => {
  it('records one outcome when 20 completeLinkPayment calls race the processor notification', async () => {
    const rounds = pick(3, 10);
    let calls = 0;
    for (let round = 0; round < rounds; round++) {
      const { id, token } = await shop.sentInvoice(4_400);
      const waiting = await pay(token, 'pm_card_authenticationRequired');
      expect(waiting.status).toBe('REQUIRES_ACTION');
      // The challenge notifies the API (as Stripe's webhook does) while the page completes, 20 times at once.
      const answers = await Promise.all([
        challenge(waiting.challengeUrl, 'complete'),
        ...Array.from({ length: 20 }, () => complete(token, waiting.paymentId)),
      ]);
      calls += 20;
      for (const answer of answers.slice(1) as Awaited<ReturnType<typeof complete>>[])
        expect(['REQUIRES_ACTION', 'SUCCEEDED']).toContain(answer.status);
      await t.jobsIdle();
      expect((await complete(token, waiting.paymentId)).status).toBe('SUCCEEDED');
      const events = await t.orm.em
        .fork()
        .find(OutboxEvent, { aggregateType: 'transaction', aggregateId: waiting.paymentId }, { orderBy: { position: 'asc' } });
      expect(events.map((event) => event.type)).toEqual(['transaction.created', 'transaction.requires_action', 'transaction.succeeded']);
      expect(await captures(id)).toBe(1);
    }
    const figures = await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant] });
    report(
      'awaiting the customer: completions',
      `${rounds} payments completed by ${calls} concurrent completeLinkPayment calls racing the processor's notification: 1 transaction.succeeded each, ${figures.capturedCharges} captures for ${rounds} payments`,
    );
  });

  it('never captures twice when an abandoned attempt is completed while a new one starts', async () => {
    const trials = pick(15, 60);
    const tally = new Map<string, number>();
    for (let trial = 0; trial < trials; trial++) {
      const { id, token } = await shop.sentInvoice(5_500);
      const abandoned = await pay(token, 'pm_card_authenticationRequired');
      // The customer completes the old challenge at the very moment they, or someone else, pay again with another card.
      const [, , fresh] = await Promise.all([
        challenge(abandoned.challengeUrl, 'complete'),
        outcome(complete(token, abandoned.paymentId)),
        outcome(pay(token, 'pm_card_visa')),
      ]);
      await t.jobsIdle();
      const settled = (await complete(token, abandoned.paymentId)).status;
      const key = `old ${settled}, new ${fresh.ok ? fresh.value.status : fresh.code}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      expect(await captures(id)).toBe(1);
      expect(await shop.readInvoice(id)).toMatchObject({ status: 'PAID', amountPaid: { amount: '5500' } });
    }
    const figures = await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant] });
    report(
      'awaiting the customer: superseded',
      `${trials} abandoned 3-D Secure attempts completed while a new card paid: outcomes ${JSON.stringify(Object.fromEntries(tally))}, 1 capture per invoice, ${figures.capturedCharges} captures in all`,
    );
  });

  it('verifies micro-deposits once when the right answer is sent 10 times at once while the customer pays with a card', async () => {
    const trials = pick(8, 30);
    const tally = new Map<string, number>();
    for (let trial = 0; trial < trials; trial++) {
      const { id, token } = await shop.sentInvoice(6_600);
      const waiting = await pay(token, await tokenise(t.url, bankAccount('000999999991')));
      expect(waiting.nextAction?.type).toBe('VERIFY_MICRODEPOSITS');
      const verify = () =>
        shop.checkout
          .request(VerifyMicrodepositsDocument, { token, paymentId: waiting.paymentId, descriptorCode: 'SM11AA' })
          .then((r) => r.verifyMicrodeposits);
      const [fresh, ...verifications] = await Promise.all([
        outcome(pay(token, 'pm_card_visa')),
        ...Array.from({ length: 10 }, () => outcome(verify())),
      ]);
      await t.jobsIdle();
      const debit = (await shop.transaction(waiting.paymentId)).status;
      const key = `debit ${debit}, card ${fresh.ok ? fresh.value.status : fresh.code}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      for (const answer of verifications) expect(answer.ok ? answer.value.status : answer.code).toBe(debit);
      // The bank debit and the card never both take the invoice.
      expect(await captures(id)).toBe(1);
      const events = await t.orm.em
        .fork()
        .find(OutboxEvent, { aggregateType: 'transaction', aggregateId: waiting.paymentId }, { orderBy: { position: 'asc' } });
      expect(events.map((event) => event.type)).toEqual([
        'transaction.created',
        'transaction.requires_action',
        `transaction.${debit.toLowerCase()}`,
      ]);
    }
    const figures = await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant] });
    report(
      'awaiting the customer: micro-deposits',
      `${trials} micro-deposit verifications sent 10 times at once while a card paid the same invoice: outcomes ${JSON.stringify(Object.fromEntries(tally))}, 1 capture or debit per invoice, ${figures.capturedCharges} captures in all`,
    );
  });
});
