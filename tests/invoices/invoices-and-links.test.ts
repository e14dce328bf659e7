import { randomUUID } from 'node:crypto';
import {
  type CreateInvoiceInput,
  RecordOfflinePaymentWithDetailDocument,
  ResendInvoiceDocument,
  SendInvoiceWithDetailDocument,
  UpdateInvoiceDocument,
  VoidInvoiceDocument,
} from '@kometpay/schema/merchant';
import { EmailMessage, OutboxEvent, PaymentLink } from '../../apps/api/src/app/test-kit.js';
import type { TestApi, TestMerchant } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { eventually } from '../support/payments.js';
import { payLinkIn, type TestMailbox, tokenOf } from '../support/smtp.js';
import { InvoiceDesk } from './support.js';

let desk: InvoiceDesk;
let t: TestApi;
let mail: TestMailbox;
let merchant: TestMerchant;

beforeAll(async () => {
  desk = await InvoiceDesk.open();
  ({ t, mail, merchant } = desk);
});
afterAll(() => desk.close());

const createInvoice = (overrides: Partial<CreateInvoiceInput> = {}) => desk.createInvoice(overrides);
const sendAndReceive = (invoiceId: string) => desk.sendAndReceive(invoiceId);
const readInvoice = (id: string, owner?: TestMerchant) => desk.readInvoice(id, owner);
const publicLink = (token: string) => desk.publicLink(token);
const offline = (...args: Parameters<InvoiceDesk['offline']>) => desk.offline(...args);

async function runExpiryJob(): Promise<void> {
  await t.orm.em.fork().execute(`select graphile_worker.add_job('expire-payment-links', '{}'::json)`);
}

describe('invoices and their payment links', () => {
  it('creates a DRAFT invoice with derived amounts and no link', async () => {
    const invoice = await createInvoice();
    expect(invoice).toMatchObject({
      status: 'DRAFT',
      currency: 'USD',
      dueDate: '2026-12-31',
      sentAt: null,
      paymentLink: null,
      paymentLinks: [],
      transactions: [],
    });
    expect(invoice.total).toEqual({ amount: '33990', currency: 'USD', formatted: '$339.90' });
    expect(invoice.amountDue.amount).toBe('33990');
    expect(invoice.lines[1]).toEqual({
      description: 'Eucalyptus bunch',
      quantity: 10,
      unitAmount: '899',
      amount: { amount: '8990', formatted: '$89.90' },
    });
  });

  it('sends the invoice: OPEN, a link, an email over SMTP whose link shows the amount due', async () => {
    const draft = await createInvoice();
    const { invoice, token } = await sendAndReceive(draft.id);
    expect(invoice.status).toBe('OPEN');
    expect(invoice.sentAt).toEqual(expect.any(String));
    expect(invoice.paymentLink?.url).toBe(`https://pay.example.test/pay/${token}`);
    expect(invoice.paymentLink?.status).toBe('ACTIVE');
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16); // >= 128 random bits

    const email = await mail.waitFor((m) => m.subject?.includes(invoice.number) === true);
    expect(email.to && 'text' in email.to ? email.to.text : '').toContain(desk.customerEmail);
    expect(email.html).toContain('$339.90');

    const page = await publicLink(token);
    expect(page).toEqual({
      status: 'PAYABLE',
      merchantName: 'Acme Flowers',
      onlinePaymentsAvailable: true,
      invoiceNumber: invoice.number,
      currency: 'USD',
      dueDate: '2026-12-31',
      acceptedMethods: ['CREDIT_CARD', 'DEBIT_CARD', 'ACH'],
      lines: [
        { description: 'Red roses, 50 stems', quantity: 4, unitAmount: '6250', amount: { amount: '25000' } },
        { description: 'Eucalyptus bunch', quantity: 10, unitAmount: '899', amount: { amount: '8990' } },
      ],
      total: { amount: '33990', formatted: '$339.90' },
      amountPaid: { amount: '0' },
      amountCredited: { amount: '0' },
      amountDue: { amount: '33990', formatted: '$339.90' },
      processor: { kind: 'SANDBOX', publishableKey: null },
    });
    // Only a hash of the token is stored, and the URL is not shown again.
    const stored = await t.orm.em.fork().findOneOrFail(PaymentLink, { invoice: invoice.id });
    expect(stored.tokenHash).not.toContain(token);
    expect((await readInvoice(invoice.id))?.paymentLink?.url).toBeNull();
    // Delivered emails keep no body, so the token is nowhere in the database.
    // The row is marked SENT just after the SMTP server accepted the message.
    const delivered = await eventually(async () => {
      const row = await t.orm.em.fork().findOneOrFail(EmailMessage, { relatedId: invoice.id });
      return row.status === 'SENT' && row;
    });
    expect(delivered).toMatchObject({ status: 'SENT', htmlBody: null, textBody: null });
  });

  it('follows an edit: the same link shows the new amount', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    const updated = (
      await merchant.client().request(UpdateInvoiceDocument, {
        id: invoice.id,
        input: { lines: [{ description: 'Tulips', quantity: 3, unitAmount: '1500' }] },
      })
    ).updateInvoice;
    expect(updated.total.amount).toBe('4500');
    expect((await publicLink(token))?.amountDue).toEqual({ amount: '4500', formatted: '$45.00' });
  });

  it('refuses an edit that would put the total under what is paid, and changes nothing', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    await offline(invoice.id, '30000');
    const refused = await expectGraphQLError(merchant.client(), UpdateInvoiceDocument, {
      id: invoice.id,
      input: { lines: [{ description: 'Less', quantity: 1, unitAmount: '29999' }] },
    });
    expect(refused.extensions).toMatchObject({ code: 'TOTAL_BELOW_PAID', field: 'lines' });
    const page = await publicLink(token);
    expect(page?.total.amount).toBe('33990');
    expect(page?.amountDue.amount).toBe('3990');
  });

  it('records an offline payment: PARTIALLY_PAID, then PAID, and the link takes no more', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    const first = (await offline(invoice.id, '10000')).recordOfflinePayment;
    expect(first).toMatchObject({
      kind: 'CHARGE',
      status: 'SUCCEEDED',
      channel: 'OFFLINE',
      method: 'CHECK',
      authorizationCode: 'CHK-1001',
      settlement: 'SETTLED',
    });
    expect(first.invoices).toEqual([{ id: invoice.id, status: 'PARTIALLY_PAID' }]);
    expect(await publicLink(token)).toMatchObject({ status: 'PAYABLE', amountPaid: { amount: '10000' }, amountDue: { amount: '23990' } });

    await offline(invoice.id, '23990', randomUUID(), 'CASH');
    const paid = await readInvoice(invoice.id);
    expect(paid).toMatchObject({ status: 'PAID', amountPaid: { amount: '33990' }, amountDue: { amount: '0' } });
    expect(paid?.paymentLink?.status).toBe('PAID');
    expect(paid?.transactions.map((tx) => tx.method)).toEqual(['CHECK', 'CASH']);
    expect(await publicLink(token)).toMatchObject({ status: 'PAID', amountDue: { amount: '0' } });

    const more = await expectGraphQLError(merchant.client(), RecordOfflinePaymentWithDetailDocument, {
      invoiceId: invoice.id,
      amount: '1',
      method: 'CASH',
      idempotencyKey: randomUUID(),
    });
    expect(more.extensions?.code).toBe('INVOICE_ALREADY_PAID');
    const edit = await expectGraphQLError(merchant.client(), UpdateInvoiceDocument, { id: invoice.id, input: { dueDate: '2027-01-31' } });
    expect(edit.extensions?.code).toBe('INVOICE_ALREADY_PAID');
  });

  it('replays an offline payment for the same key and refuses the key with another input', async () => {
    const { invoice } = await sendAndReceive((await createInvoice()).id);
    const key = randomUUID();
    const first = (await offline(invoice.id, '500', key)).recordOfflinePayment;
    const again = (await offline(invoice.id, '500', key)).recordOfflinePayment;
    expect(again).toEqual(first);
    const reused = await expectGraphQLError(merchant.client(), RecordOfflinePaymentWithDetailDocument, {
      invoiceId: invoice.id,
      amount: '600',
      method: 'CHECK',
      reference: 'CHK-1001',
      idempotencyKey: key,
    });
    expect(reused.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const after = await readInvoice(invoice.id);
    expect(after?.transactions).toHaveLength(1);
    expect(after?.amountPaid.amount).toBe('500');
  });

  it('expires an unpaid link via the clock: a new link is emailed, the old one says EXPIRED', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    const emailsBefore = mail.messages.length;
    t.clock.advance(31 * 86_400_000);
    try {
      await runExpiryJob();
      const regenerated = await mail.waitFor(
        (m) =>
          mail.messages.indexOf(m) >= emailsBefore &&
          m.subject?.includes(invoice.number) === true &&
          payLinkIn(m) !== invoice.paymentLink?.url,
      );
      expect(regenerated.text).toMatch(/expired/i);
      const newToken = tokenOf(payLinkIn(regenerated));
      expect(newToken).not.toBe(token);
      expect((await publicLink(token))?.status).toBe('EXPIRED');
      expect((await publicLink(newToken))?.status).toBe('PAYABLE');
      const links = (await readInvoice(invoice.id))?.paymentLinks.map((l) => l.status);
      expect(links).toEqual(['ACTIVE', 'EXPIRED']);
    } finally {
      t.clock.advance(-31 * 86_400_000);
    }
  });

  it('resends: new link, the previous one SUPERSEDED, the email again', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    const resent = (await merchant.client().request(ResendInvoiceDocument, { id: invoice.id })).resendInvoice;
    const url = resent.paymentLink?.url ?? '';
    expect(url).toMatch(/^https:\/\/pay\.example\.test\/pay\//);
    const email = await mail.waitFor((m) => payLinkIn(m) === url);
    expect(email.subject).toContain(invoice.number);
    expect((await publicLink(token))?.status).toBe('SUPERSEDED');
    expect((await publicLink(tokenOf(url)))?.status).toBe('PAYABLE');
    expect(resent.paymentLinks.map((l) => l.status)).toEqual(['ACTIVE', 'SUPERSEDED']);
  });

  it('voids an unpaid invoice: its link says VOID', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    const voided = (await merchant.client().request(VoidInvoiceDocument, { id: invoice.id })).voidInvoice;
    expect(voided.status).toBe('VOID');
    expect((await publicLink(token))?.status).toBe('VOID');
    const client = merchant.client();
    for (const refused of [
      await expectGraphQLError(client, SendInvoiceWithDetailDocument, { id: invoice.id }),
      await expectGraphQLError(client, ResendInvoiceDocument, { id: invoice.id }),
      await expectGraphQLError(client, UpdateInvoiceDocument, { id: invoice.id, input: { dueDate: '2027-01-01' } }),
    ]) {
      expect(refused.extensions?.code).toBe('INVOICE_VOID');
    }
  });

  it('answers null for an unknown token', async () => {
    expect(await publicLink('x'.repeat(43))).toBeNull();
    expect(await publicLink('')).toBeNull();
  });

  it('writes an outbox event for every state change', async () => {
    const { invoice } = await sendAndReceive((await createInvoice()).id);
    await offline(invoice.id, '33990');
    const events = await t.orm.em
      .fork()
      .find(OutboxEvent, { merchantId: merchant.id, aggregateId: { $in: [invoice.id] } }, { orderBy: { position: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['invoice.created', 'invoice.sent', 'invoice.status_changed']);
    const [payment] = (await readInvoice(invoice.id))!.transactions;
    const paymentEvents = await t.orm.em.fork().find(OutboxEvent, { aggregateType: 'transaction', aggregateId: payment.id });
    expect(paymentEvents.map((e) => [e.type, e.payload.invoiceIds])).toEqual([['transaction.succeeded', [invoice.id]]]);
    const linkEvents = await t.orm.em.fork().find(OutboxEvent, { aggregateType: 'payment_link', aggregateId: invoice.paymentLink!.id });
    expect(linkEvents.map((e) => e.type)).toEqual(['payment_link.created']);
  });
});
