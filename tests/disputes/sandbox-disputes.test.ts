import { randomUUID } from 'node:crypto';
import {
  DisputeFiguresDocument,
  DisputesDocument,
  GrantPartnerAccessDocument,
  IssueCreditMemoRefundDocument,
  PaymentStatusChangedDocument,
  RefundTransactionDocument,
  SubmitDisputeEvidenceDocument,
  TransactionDisputesDocument,
} from '@kometpay/schema/merchant';
import { AuditService, PartnerApiKeyService, PartnerService, SandboxDispute } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { card, eventually, tokenise } from '../support/payments.js';
import { openShop, type Shop } from '../support/shop.js';
import { payLinkIn, startSmtpServer, type TestMailbox, tokenOf } from '../support/smtp.js';
import { subscribe, wsUrl } from '../support/subscriptions.js';

let t: TestApi;
let mail: TestMailbox;
let shop: Shop;
let otherShop: Shop;

beforeAll(async () => {
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url });
  shop = await openShop(t, 'Disputed Flowers', { name: 'Bloom', email: 'ap@bloom.example' });
  otherShop = await openShop(t, 'Other Flowers', { name: 'Petal', email: 'ap@petal.example' });
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const today = () => new Date().toISOString().slice(0, 10);

/** An invoice emailed to the customer and paid on its link with Stripe's test card that is disputed right after it succeeds. */
async function disputedPayment(amount = '42000', paymentMethod = 'pm_card_createDispute') {
  const number = `D-${randomUUID().slice(0, 8)}`;
  const invoice = await shop.sentInvoice({ number, lines: [{ description: 'Peonies', quantity: 1, unitAmount: amount }] });
  const email = await mail.waitFor((m) => m.subject?.includes(number) === true);
  const token = tokenOf(payLinkIn(email));
  expect((await shop.payWithLink(token, paymentMethod)).status).toBe('SUCCEEDED');
  const charge = (await shop.readInvoice(invoice.id)).transactions.find((tx) => tx.kind === 'CHARGE')!;
  // The sandbox opens the dispute and tells the app as Stripe's webhook would.
  const dispute = await eventually(async () => (await disputesOf(charge.id))[0]);
  return { invoice: { ...invoice, number, token }, chargeId: charge.id, dispute };
}

const disputesOf = async (chargeId: string) =>
  (await shop.client.request(TransactionDisputesDocument, { id: chargeId })).transaction?.disputes ?? [];

/** The card network decides, through the sandbox's test helper. */
async function closeAtSandbox(processorReference: string, outcome: 'won' | 'lost') {
  const response = await fetch(`${t.url}/sandbox/v1/disputes/${processorReference}/close`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outcome }),
  });
  expect(response.status).toBe(200);
}

const evidence = {
  explanation: 'The customer signed for the delivery of 40 peonies on 2 December.',
  customerCommunication: 'Customer: "Flowers arrived, thank you!"',
  receipt: 'Receipt D-1: 40 peonies, $420.00',
};

describe('a disputed card payment (sandbox)', () => {
  it('opens NEEDS_RESPONSE with a DISPUTE transaction withdrawing the money, and the invoice stays PAID', async () => {
    const { invoice, chargeId, dispute } = await disputedPayment();
    expect(dispute).toMatchObject({
      status: 'NEEDS_RESPONSE',
      reason: 'fraudulent',
      amount: { amount: '42000', currency: 'USD' },
      fee: { amount: '1500' },
      closedAt: null,
      processorReference: expect.stringMatching(/^du_sbx_/),
      transaction: { id: chargeId, kind: 'CHARGE', status: 'SUCCEEDED' },
    });
    expect(new Date(dispute.evidenceDueBy!).getTime()).toBeGreaterThan(Date.now());
    const read = await shop.readInvoice(invoice.id);
    expect(read).toMatchObject({ status: 'PAID', amountPaid: { amount: '42000' }, amountDue: { amount: '0' } });
    expect(read.transactions.filter((tx) => tx.kind === 'DISPUTE')).toEqual([
      expect.objectContaining({ kind: 'DISPUTE', status: 'PENDING', amount: { amount: '42000' } }),
    ]);
    const listed = await shop.client.request(DisputesDocument, { status: 'NEEDS_RESPONSE' });
    expect(listed.disputes.edges.map((edge) => edge.node.id)).toContain(dispute.id);
  });

  it('disputes a payment by the card number 4000 0000 0000 0259 too (the sandbox tokeniser)', async () => {
    const { dispute } = await disputedPayment('15000', await tokenise(t.url, card('4000000000000259')));
    expect(dispute).toMatchObject({ status: 'NEEDS_RESPONSE', amount: { amount: '15000' } });
  });

  it('refuses a full refund and a credit memo refund while the dispute is open, changing nothing', async () => {
    const { invoice, chargeId } = await disputedPayment('30000');
    const refused = await expectGraphQLError(shop.client, RefundTransactionDocument, { id: chargeId, idempotencyKey: randomUUID() });
    expect(refused.extensions).toMatchObject({ code: 'CHARGE_DISPUTED' });
    const memo = await shop.creditMemo(invoice.id, 5000);
    const refusedMemo = await expectGraphQLError(shop.client, IssueCreditMemoRefundDocument, {
      creditMemoId: memo.id,
      idempotencyKey: randomUUID(),
    });
    expect(refusedMemo.extensions).toMatchObject({ code: 'CHARGE_DISPUTED' });
    const read = await shop.readInvoice(invoice.id);
    expect(read.transactions.filter((tx) => tx.kind === 'REFUND')).toEqual([]);
    expect(read).toMatchObject({ amountPaid: { amount: '30000' } });
  });

  it('takes evidence once (the sandbox receives it), and a lost dispute reopens the invoice and emails a new link', async () => {
    const { invoice, chargeId, dispute } = await disputedPayment('42000');
    const submitted = await shop.client.request(SubmitDisputeEvidenceDocument, { disputeId: dispute.id, input: evidence });
    expect(submitted.submitDisputeEvidence).toMatchObject({ id: dispute.id, status: 'UNDER_REVIEW', evidenceDueBy: null });
    const atSandbox = await t.orm.em.fork().findOneOrFail(SandboxDispute, { id: dispute.processorReference });
    expect(atSandbox).toMatchObject({
      status: 'under_review',
      evidence: {
        uncategorized_text: evidence.explanation,
        customer_communication: evidence.customerCommunication,
        receipt: evidence.receipt,
      },
    });
    const again = await expectGraphQLError(shop.client, SubmitDisputeEvidenceDocument, { disputeId: dispute.id, input: evidence });
    expect(again.extensions).toMatchObject({ code: 'DISPUTE_CLOSED' });

    const emailsBefore = mail.messages.length;
    await closeAtSandbox(dispute.processorReference, 'lost');
    const lost = await eventually(async () => (await disputesOf(chargeId)).find((d) => d.status === 'LOST'));
    expect(lost.closedAt).not.toBeNull();
    const read = await shop.readInvoice(invoice.id);
    expect(read).toMatchObject({ status: 'OPEN', amountPaid: { amount: '0' }, amountDue: { amount: '42000' } });
    expect(read.transactions.find((tx) => tx.kind === 'DISPUTE')).toMatchObject({ status: 'SUCCEEDED' });
    expect((await shop.transaction(chargeId)).status).toBe('SUCCEEDED');

    // The customer is asked to pay again: a new link, emailed over SMTP, and the old one superseded.
    const email = await mail.waitFor((m) => mail.messages.indexOf(m) >= emailsBefore && m.subject?.includes(invoice.number) === true);
    const newToken = tokenOf(payLinkIn(email));
    expect(newToken).not.toBe(invoice.token);
    expect((await shop.payWithLink(newToken, 'pm_card_visa')).status).toBe('SUCCEEDED');
    expect(await shop.readInvoice(invoice.id)).toMatchObject({ status: 'PAID', amountPaid: { amount: '42000' } });

    // The money went back to the cardholder: nothing of it is left to refund, and a closed dispute takes no evidence.
    const refused = await expectGraphQLError(shop.client, RefundTransactionDocument, { id: chargeId, idempotencyKey: randomUUID() });
    expect(refused.extensions).toMatchObject({ code: 'NOT_REFUNDABLE' });
    const closed = await expectGraphQLError(shop.client, SubmitDisputeEvidenceDocument, { disputeId: dispute.id, input: evidence });
    expect(closed.extensions).toMatchObject({ code: 'DISPUTE_CLOSED' });
  });

  it('reinstates the money of a won dispute: the DISPUTE transaction CANCELED, the invoice PAID, the charge refundable again', async () => {
    const { invoice, chargeId, dispute } = await disputedPayment('25000');
    await closeAtSandbox(dispute.processorReference, 'won');
    const won = await eventually(async () => (await disputesOf(chargeId)).find((d) => d.status === 'WON'));
    expect(won).toMatchObject({ id: dispute.id, fee: { amount: '1500' } });
    const read = await shop.readInvoice(invoice.id);
    expect(read).toMatchObject({ status: 'PAID', amountPaid: { amount: '25000' } });
    expect(read.transactions.find((tx) => tx.kind === 'DISPUTE')).toMatchObject({ status: 'CANCELED' });
    expect((await shop.refund(chargeId)).status).toBe('SUCCEEDED');
  });

  it('shows disputes and their fees in the transaction log and the settlement report', async () => {
    const { invoice, chargeId, dispute } = await disputedPayment('10000');
    await closeAtSandbox(dispute.processorReference, 'lost');
    await eventually(async () => (await disputesOf(chargeId)).find((d) => d.status === 'LOST'));
    const figures = await shop.client.request(DisputeFiguresDocument, {
      from: today(),
      to: today(),
      filter: { kind: 'DISPUTE', invoiceId: invoice.id },
    });
    expect(figures.transactions.edges.map((edge) => edge.node)).toEqual([
      expect.objectContaining({
        kind: 'DISPUTE',
        status: 'SUCCEEDED',
        amount: { amount: '10000' },
        fee: { amount: '1500' },
        refundOf: { id: chargeId },
      }),
    ]);
    expect(figures.transactions.totals).toMatchObject({ disputed: { amount: '10000' }, disputeFees: { amount: '1500' } });
    // The merchant's whole day: every lost or open dispute counts as withdrawn, with its fee.
    const { totals } = figures.settlementReport;
    expect(BigInt(totals.disputed.amount)).toBeGreaterThanOrEqual(10_000n);
    const amount = (money: { amount: string }) => BigInt(money.amount);
    expect(amount(totals.net)).toBe(amount(totals.settled) - amount(totals.refunded) - amount(totals.disputed) - amount(totals.fees));
    const csv = await (
      await fetch(`${t.url}/reports/settlement.csv?from=${today()}&to=${today()}`, {
        headers: { authorization: `Bearer ${shop.merchant.apiKey}` },
      })
    ).text();
    expect(csv.split('\n')[0]).toBe('date,settled,pending,failed,refunded,disputed,fees,net,count,currency');
  });

  it("keeps one merchant's disputes from another: not listed, no evidence taken", async () => {
    const { dispute } = await disputedPayment('5000');
    const theirs = await otherShop.client.request(DisputesDocument, {});
    expect(theirs.disputes.edges).toEqual([]);
    const refused = await expectGraphQLError(otherShop.client, SubmitDisputeEvidenceDocument, { disputeId: dispute.id, input: evidence });
    expect(refused.extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect((await shop.client.request(DisputesDocument, {})).disputes.edges.map((edge) => edge.node.id)).toContain(dispute.id);
    // Nothing was sent to the processor for them.
    expect(await t.orm.em.fork().findOneOrFail(SandboxDispute, { id: dispute.processorReference })).toMatchObject({ evidence: null });
  });

  it('pages the disputes newest first by cursor, and filters by status', async () => {
    await disputedPayment('1000');
    await disputedPayment('2000');
    const all = (await shop.client.request(DisputesDocument, { first: 100 })).disputes.edges.map((edge) => edge.node);
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(all.slice(0, 2).map((d) => d.amount.amount)).toEqual(['2000', '1000']);
    const seen: string[] = [];
    let after: string | null | undefined;
    do {
      const page = (await shop.client.request(DisputesDocument, { first: 2, after })).disputes;
      seen.push(...page.edges.map((edge) => edge.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(all.map((d) => d.id));
    const open = (await shop.client.request(DisputesDocument, { first: 100, status: 'NEEDS_RESPONSE' })).disputes.edges;
    expect(open.every((edge) => edge.node.status === 'NEEDS_RESPONSE')).toBe(true);
    expect(open.length).toBeLessThan(all.length);
    const forged = await expectGraphQLError(shop.client, DisputesDocument, { after: 'not-a-cursor' });
    expect(forged.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('tells a partner following the merchant: DISPUTE_OPENED then DISPUTE_LOST (dispute.opened, dispute.lost)', async () => {
    const em = t.orm.em.fork();
    const partner = await new PartnerService(em, t.clock, new AuditService(em, { requestId: 'test-onboarding' })).create({
      name: 'Ledgerly',
    });
    const { key } = await new PartnerApiKeyService(em, t.clock).issue(partner.id);
    await shop.client.request(GrantPartnerAccessDocument, { partnerId: partner.id });
    const [{ max }] = await em.execute<{ max: string }[]>('select max(position)::text as max from outbox_event');
    const after = t.api.deps.eventCursors.issue(shop.merchant.id, BigInt(max));
    const stream = subscribe(
      wsUrl(t.url, '/graphql'),
      PaymentStatusChangedDocument,
      { merchantId: shop.merchant.id, after },
      `Bearer ${key}`,
    );
    try {
      const { dispute } = await disputedPayment('7000');
      await closeAtSandbox(dispute.processorReference, 'lost');
      await eventually(async () => stream.results.some((event) => event.paymentStatusChanged.type === 'dispute.lost'));
      const disputeEvents = stream.results.map((event) => event.paymentStatusChanged).filter((event) => event.type.startsWith('dispute.'));
      expect(disputeEvents.map((event) => event.type)).toEqual(['dispute.opened', 'dispute.lost']);
      expect(disputeEvents[0].transaction).toMatchObject({ status: expect.any(String), amount: { amount: '7000' } });
      expect(disputeEvents[1].invoices[0]).toMatchObject({ status: 'OPEN', amountDue: { amount: '7000' } });
    } finally {
      await stream.dispose();
    }
  });
});
