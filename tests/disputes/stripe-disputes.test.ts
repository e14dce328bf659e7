import { randomUUID } from 'node:crypto';
import { SubmitDisputeEvidenceDocument, TransactionDisputesDocument } from '@kometpay/schema/merchant';
import Stripe from 'stripe';
import { Transaction } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { eventually } from '../support/payments.js';
import { openShop, type Shop } from '../support/shop.js';
import { CONNECT_WEBHOOK_SECRET, stripeModeSettings } from '../support/stripe/connect.js';
import { type Json, ownerOf, StripeMock, stripeFixture } from '../support/stripe/stripe-mock-server.js';

const WEBHOOK_SECRET = 'whsec_kometpay_disputes';
const signer = new Stripe('sk_test_signer');

let mock: StripeMock;
let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  mock = await StripeMock.start();
  t = await startTestApi({
    ...stripeModeSettings(mock.port, WEBHOOK_SECRET),
  });
  shop = await openShop(t, 'Stripe Disputes Merchant', { name: 'Wholesale Buyer', email: 'buyer@wholesale.example' });
});
afterAll(async () => {
  await t.close();
  await mock.close();
});

/**
 * A signed Stripe event about `object`, delivered as Stripe does: an object of the merchant's
 * connected account goes to the Connect endpoint, with its `account` and the Connect secret.
 */
async function deliver(type: string, object: Json): Promise<number> {
  const account = ownerOf(object.id);
  const payload = JSON.stringify(
    stripeFixture('event', { id: `evt_${randomUUID().replaceAll('-', '')}`, type, account, data: { object } }),
  );
  const signature = signer.webhooks.generateTestHeaderString({ payload, secret: account ? CONNECT_WEBHOOK_SECRET : WEBHOOK_SECRET });
  const response = await fetch(`${t.url}/webhooks/stripe${account ? '/connect' : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  return response.status;
}

const DISPUTE_EVENTS = [
  'charge.dispute.created',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_reinstated',
] as const;

/** An invoice charged with Stripe's test card that the cardholder disputes right after it succeeds (no webhook sent yet). */
async function disputedCharge(amount: string) {
  const invoice = await shop.sentInvoice(amount);
  const payment = await shop.charge([invoice.id], 'pm_card_createDispute');
  expect(payment.status).toBe('SUCCEEDED');
  const intentId = (await t.orm.em.fork().findOneOrFail(Transaction, { id: payment.id })).processorReference!;
  return { invoiceId: invoice.id, chargeId: payment.id, dispute: mock.disputeOf(intentId) };
}

/** Everything the events decide: the dispute, its transaction and the invoice. */
async function endState(invoiceId: string, chargeId: string) {
  const { transaction } = await shop.client.request(TransactionDisputesDocument, { id: chargeId });
  const invoice = await shop.readInvoice(invoiceId);
  return {
    disputes: transaction!.disputes.map((d) => ({ status: d.status, amount: d.amount.amount, fee: d.fee.amount, reason: d.reason })),
    charge: transaction!.status,
    disputeTransactions: invoice.transactions.filter((tx) => tx.kind === 'DISPUTE').map((tx) => tx.status),
    invoice: { status: invoice.status, paid: invoice.amountPaid.amount, due: invoice.amountDue.amount },
  };
}

describe('disputes from Stripe webhooks (the local Stripe-shaped server)', () => {
  it('reaches the same end state whether the events come in order or in reverse, and ignores a stale re-read', async () => {
    // In order, each event sent as Stripe moves on; the evidence goes through our API.
    const first = await disputedCharge('30000');
    expect(await deliver('charge.dispute.created', mock.object(first.dispute.id))).toBe(200);
    expect(await deliver('charge.dispute.funds_withdrawn', mock.object(first.dispute.id))).toBe(200);
    const [opened] = (await shop.client.request(TransactionDisputesDocument, { id: first.chargeId })).transaction!.disputes;
    expect(opened).toMatchObject({ status: 'NEEDS_RESPONSE', processorReference: first.dispute.id, fee: { amount: '1500' } });
    const { submitDisputeEvidence } = await shop.client.request(SubmitDisputeEvidenceDocument, {
      disputeId: opened.id,
      input: { explanation: 'Delivered and signed for.', customerCommunication: 'Thanks, all arrived.', receipt: 'file_1Receipt' },
    });
    expect(submitDisputeEvidence.status).toBe('UNDER_REVIEW');
    expect(await deliver('charge.dispute.updated', mock.object(first.dispute.id))).toBe(200);
    mock.closeDispute(first.dispute.id, 'lost');
    expect(await deliver('charge.dispute.closed', mock.object(first.dispute.id))).toBe(200);
    const inOrder = await endState(first.invoiceId, first.chargeId);
    expect(inOrder).toEqual({
      disputes: [{ status: 'LOST', amount: '30000', fee: '1500', reason: 'fraudulent' }],
      charge: 'SUCCEEDED',
      disputeTransactions: ['SUCCEEDED'],
      invoice: { status: 'OPEN', paid: '0', due: '30000' },
    });

    // The same story, every event delivered only once Stripe has decided, last one first.
    const second = await disputedCharge('30000');
    mock.update(second.dispute.id, { status: 'under_review' });
    mock.closeDispute(second.dispute.id, 'lost');
    for (const type of [...DISPUTE_EVENTS].reverse()) expect(await deliver(type, mock.object(second.dispute.id))).toBe(200);
    expect(await endState(second.invoiceId, second.chargeId)).toEqual(inOrder);

    // A re-read that lags behind (a stale replica, a race): the dispute never goes back.
    mock.update(second.dispute.id, { status: 'needs_response' });
    expect(await deliver('charge.dispute.created', mock.object(second.dispute.id))).toBe(200);
    expect(await endState(second.invoiceId, second.chargeId)).toEqual(inOrder);
  });

  it('sends the evidence in Stripe evidence fields, submitted', async () => {
    const { chargeId, dispute } = await disputedCharge('12000');
    expect(await deliver('charge.dispute.created', mock.object(dispute.id))).toBe(200);
    const [opened] = (await shop.client.request(TransactionDisputesDocument, { id: chargeId })).transaction!.disputes;
    await shop.client.request(SubmitDisputeEvidenceDocument, {
      disputeId: opened.id,
      input: { explanation: 'Delivered and signed for.', customerCommunication: 'Thanks, all arrived.', receipt: 'file_1Receipt' },
    });
    const [update] = mock.requestsTo('POST', `/v1/disputes/${dispute.id}`);
    expect(update.params).toEqual({
      evidence: {
        uncategorized_text: 'Delivered and signed for.\n\nCustomer communication:\nThanks, all arrived.',
        receipt: 'file_1Receipt',
      },
      submit: 'true',
    });
    expect(mock.object(dispute.id)).toMatchObject({ status: 'under_review', evidence: { receipt: 'file_1Receipt' } });
  });

  it('reinstates a won dispute, whichever of closed and funds_reinstated comes first', async () => {
    const { invoiceId, chargeId, dispute } = await disputedCharge('8000');
    mock.closeDispute(dispute.id, 'won');
    for (const type of ['charge.dispute.funds_reinstated', 'charge.dispute.closed', 'charge.dispute.created'])
      expect(await deliver(type, mock.object(dispute.id))).toBe(200);
    expect(await endState(invoiceId, chargeId)).toEqual({
      disputes: [{ status: 'WON', amount: '8000', fee: '1500', reason: 'fraudulent' }],
      charge: 'SUCCEEDED',
      disputeTransactions: ['CANCELED'],
      invoice: { status: 'PAID', paid: '8000', due: '0' },
    });
  });

  it('still treats a disputed bank debit as a return, with no dispute of its own', async () => {
    const invoice = await shop.sentInvoice('9000');
    const payment = await shop.charge([invoice.id], 'pm_usBankAccount_success');
    const intentId = (await t.orm.em.fork().findOneOrFail(Transaction, { id: payment.id })).processorReference!;
    mock.update(intentId, { status: 'succeeded', amount_received: 9000 });
    mock.update(mock.object(intentId).latest_charge, { status: 'succeeded', paid: true });
    expect(await deliver('payment_intent.succeeded', mock.object(intentId))).toBe(200);
    const dispute = mock.disputeCharge(mock.object(intentId).latest_charge);
    expect(await deliver('charge.dispute.created', dispute)).toBe(200);
    await eventually(async () => (await shop.transaction(payment.id)).status === 'RETURNED');
    expect(await endState(invoice.id, payment.id)).toMatchObject({ disputes: [], disputeTransactions: [], invoice: { status: 'OPEN' } });
  });
});
