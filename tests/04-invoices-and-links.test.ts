import { randomUUID } from 'node:crypto';
import { EmailMessage } from '../apps/api/src/modules/email/email-message.entity.js';
import { Invoice } from '../apps/api/src/modules/invoice/invoice.entity.js';
import { OutboxEvent } from '../apps/api/src/modules/outbox/outbox-event.entity.js';
import { PaymentLink } from '../apps/api/src/modules/payment-link/payment-link.entity.js';
import { PaymentLinkService, publicLinkSql } from '../apps/api/src/modules/payment-link/payment-link.service.js';
import { createOrm } from '../apps/api/src/db/orm.js';
import { createLogger } from '../apps/api/src/logger.js';
import { startTestApi, type TestApi, type TestMerchant } from './support/api.js';
import { expectGraphQLError } from './support/graphql.js';
import { eventually } from './support/payments.js';
import { payLinkIn, startSmtpServer, tokenOf, type TestMailbox } from './support/smtp.js';

const INVOICE_FIELDS = /* GraphQL */ `
  id number status currency dueDate sentAt
  customer { id name }
  lines { description quantity unitAmount amount { amount formatted } }
  total { amount currency formatted } amountPaid { amount } amountCredited { amount } amountDue { amount formatted }
  paymentLink { id url status expiresAt }
  paymentLinks { id status }
  transactions { id kind status channel method amount { amount } authorizationCode settlement }
`;
const CREATE_CUSTOMER = `mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }`;
const CREATE_INVOICE = `mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { ${INVOICE_FIELDS} } }`;
const UPDATE_INVOICE = `mutation ($id: ID!, $input: UpdateInvoiceInput!) { updateInvoice(id: $id, input: $input) { ${INVOICE_FIELDS} } }`;
const SEND = `mutation ($id: ID!) { sendInvoice(id: $id) { ${INVOICE_FIELDS} } }`;
const RESEND = `mutation ($id: ID!) { resendInvoice(id: $id) { ${INVOICE_FIELDS} } }`;
const VOID = `mutation ($id: ID!) { voidInvoice(id: $id) { ${INVOICE_FIELDS} } }`;
const INVOICE = `query ($id: ID!) { invoice(id: $id) { ${INVOICE_FIELDS} } }`;
const OFFLINE = `mutation ($invoiceId: ID!, $amount: MinorUnits!, $method: PaymentMethodKind!, $reference: String, $key: String!) {
  recordOfflinePayment(invoiceId: $invoiceId, amount: $amount, method: $method, reference: $reference, idempotencyKey: $key) {
    id kind status channel method amount { amount } authorizationCode settlement invoices { id status }
  }
}`;
const PUBLIC_LINK = `query ($token: String!) { paymentLink(token: $token) {
  status merchantName invoiceNumber currency dueDate acceptedMethods
  lines { description quantity unitAmount amount { amount } }
  total { amount formatted } amountPaid { amount } amountCredited { amount } amountDue { amount formatted }
  processor { kind publishableKey }
} }`;

type Inv = Record<string, any>;

let t: TestApi;
let mail: TestMailbox;
let merchant: TestMerchant;
let other: TestMerchant;
let customerId: string;
let customerEmail: string;

beforeAll(async () => {
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url, CHECKOUT_URL: 'https://pay.example.test' });
  merchant = await t.createMerchant('Acme Flowers');
  other = await t.createMerchant('Other Merchant');
  customerEmail = `ap-${randomUUID()}@bloom.example`;
  customerId = (await merchant.client().request<Inv>(CREATE_CUSTOMER, { input: { name: 'Bloom & Stem', email: customerEmail } })).createCustomer.id;
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const lines = [
  { description: 'Red roses, 50 stems', quantity: 4, unitAmount: '6250' },
  { description: 'Eucalyptus bunch', quantity: 10, unitAmount: '899' },
];
let invoiceCounter = 0;

async function createInvoice(overrides: Record<string, unknown> = {}): Promise<Inv> {
  const input = { customerId, number: `INV-${++invoiceCounter}-${randomUUID().slice(0, 6)}`, currency: 'USD', dueDate: '2026-12-31', lines, ...overrides };
  return (await merchant.client().request<Inv>(CREATE_INVOICE, { input })).createInvoice;
}

async function sendAndReceive(invoiceId: string): Promise<{ invoice: Inv; token: string }> {
  const invoice = (await merchant.client().request<Inv>(SEND, { id: invoiceId })).sendInvoice;
  const email = await mail.waitFor((m) => m.subject?.includes(invoice.number) === true && payLinkIn(m) === invoice.paymentLink.url);
  return { invoice, token: tokenOf(payLinkIn(email)) };
}

const publicLink = async (token: string) => (await t.checkout.request<Inv>(PUBLIC_LINK, { token })).paymentLink;
const offline = (invoiceId: string, amount: string, key = randomUUID(), method = 'CHECK') =>
  merchant.client().request<Inv>(OFFLINE, { invoiceId, amount, method, reference: 'CHK-1001', key });

async function runExpiryJob(): Promise<void> {
  await t.orm.em.fork().execute(`select graphile_worker.add_job('expire-payment-links', '{}'::json)`);
}

describe('invoices and their payment links', () => {
  it('creates a DRAFT invoice with derived amounts and no link', async () => {
    const invoice = await createInvoice();
    expect(invoice).toMatchObject({ status: 'DRAFT', currency: 'USD', dueDate: '2026-12-31', sentAt: null, paymentLink: null, paymentLinks: [], transactions: [] });
    expect(invoice.total).toEqual({ amount: '33990', currency: 'USD', formatted: '$339.90' });
    expect(invoice.amountDue.amount).toBe('33990');
    expect(invoice.lines[1]).toEqual({ description: 'Eucalyptus bunch', quantity: 10, unitAmount: '899', amount: { amount: '8990', formatted: '$89.90' } });
  });

  it('sends the invoice: OPEN, a link, an email over SMTP whose link shows the amount due', async () => {
    const draft = await createInvoice();
    const { invoice, token } = await sendAndReceive(draft.id);
    expect(invoice.status).toBe('OPEN');
    expect(invoice.sentAt).toEqual(expect.any(String));
    expect(invoice.paymentLink.url).toBe(`https://pay.example.test/pay/${token}`);
    expect(invoice.paymentLink.status).toBe('ACTIVE');
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16); // >= 128 random bits

    const email = await mail.waitFor((m) => m.subject?.includes(invoice.number) === true);
    expect(email.to && 'text' in email.to ? email.to.text : '').toContain(customerEmail);
    expect(email.html).toContain('$339.90');

    const page = await publicLink(token);
    expect(page).toEqual({
      status: 'PAYABLE',
      merchantName: 'Acme Flowers',
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
    expect((await merchant.client().request<Inv>(INVOICE, { id: invoice.id })).invoice.paymentLink.url).toBeNull();
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
    const updated = (await merchant.client().request<Inv>(UPDATE_INVOICE, { id: invoice.id, input: { lines: [{ description: 'Tulips', quantity: 3, unitAmount: '1500' }] } })).updateInvoice;
    expect(updated.total.amount).toBe('4500');
    expect((await publicLink(token)).amountDue).toEqual({ amount: '4500', formatted: '$45.00' });
  });

  it('refuses an edit that would put the total under what is paid, and changes nothing', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    await offline(invoice.id, '30000');
    const refused = await expectGraphQLError(merchant.client(), UPDATE_INVOICE, { id: invoice.id, input: { lines: [{ description: 'Less', quantity: 1, unitAmount: '29999' }] } });
    expect(refused.extensions).toMatchObject({ code: 'TOTAL_BELOW_PAID', field: 'lines' });
    const page = await publicLink(token);
    expect(page.total.amount).toBe('33990');
    expect(page.amountDue.amount).toBe('3990');
  });

  it('records an offline payment: PARTIALLY_PAID, then PAID, and the link takes no more', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    const first = (await offline(invoice.id, '10000')).recordOfflinePayment;
    expect(first).toMatchObject({ kind: 'CHARGE', status: 'SUCCEEDED', channel: 'OFFLINE', method: 'CHECK', authorizationCode: 'CHK-1001', settlement: 'SETTLED' });
    expect(first.invoices).toEqual([{ id: invoice.id, status: 'PARTIALLY_PAID' }]);
    expect(await publicLink(token)).toMatchObject({ status: 'PAYABLE', amountPaid: { amount: '10000' }, amountDue: { amount: '23990' } });

    await offline(invoice.id, '23990', randomUUID(), 'CASH');
    const paid = (await merchant.client().request<Inv>(INVOICE, { id: invoice.id })).invoice;
    expect(paid).toMatchObject({ status: 'PAID', amountPaid: { amount: '33990' }, amountDue: { amount: '0' } });
    expect(paid.paymentLink.status).toBe('PAID');
    expect(paid.transactions.map((tx: Inv) => tx.method)).toEqual(['CHECK', 'CASH']);
    expect(await publicLink(token)).toMatchObject({ status: 'PAID', amountDue: { amount: '0' } });

    const more = await expectGraphQLError(merchant.client(), OFFLINE, { invoiceId: invoice.id, amount: '1', method: 'CASH', key: randomUUID() });
    expect(more.extensions?.code).toBe('INVOICE_ALREADY_PAID');
    const edit = await expectGraphQLError(merchant.client(), UPDATE_INVOICE, { id: invoice.id, input: { dueDate: '2027-01-31' } });
    expect(edit.extensions?.code).toBe('INVOICE_ALREADY_PAID');
  });

  it('replays an offline payment for the same key and refuses the key with another input', async () => {
    const { invoice } = await sendAndReceive((await createInvoice()).id);
    const key = randomUUID();
    const first = (await offline(invoice.id, '500', key)).recordOfflinePayment;
    const again = (await offline(invoice.id, '500', key)).recordOfflinePayment;
    expect(again).toEqual(first);
    const reused = await expectGraphQLError(merchant.client(), OFFLINE, { invoiceId: invoice.id, amount: '600', method: 'CHECK', reference: 'CHK-1001', key });
    expect(reused.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const after = (await merchant.client().request<Inv>(INVOICE, { id: invoice.id })).invoice;
    expect(after.transactions).toHaveLength(1);
    expect(after.amountPaid.amount).toBe('500');
  });

  it('expires an unpaid link via the clock: a new link is emailed, the old one says EXPIRED', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    const emailsBefore = mail.messages.length;
    t.clock.advance(31 * 86_400_000);
    try {
      await runExpiryJob();
      const regenerated = await mail.waitFor((m) => mail.messages.indexOf(m) >= emailsBefore && m.subject?.includes(invoice.number) === true && payLinkIn(m) !== invoice.paymentLink.url);
      expect(regenerated.text).toMatch(/expired/i);
      const newToken = tokenOf(payLinkIn(regenerated));
      expect(newToken).not.toBe(token);
      expect((await publicLink(token)).status).toBe('EXPIRED');
      expect((await publicLink(newToken)).status).toBe('PAYABLE');
      const links = (await merchant.client().request<Inv>(INVOICE, { id: invoice.id })).invoice.paymentLinks.map((l: Inv) => l.status);
      expect(links).toEqual(['ACTIVE', 'EXPIRED']);
    } finally {
      t.clock.advance(-31 * 86_400_000);
    }
  });

  it('resends: new link, the previous one SUPERSEDED, the email again', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    const resent = (await merchant.client().request<Inv>(RESEND, { id: invoice.id })).resendInvoice;
    expect(resent.paymentLink.url).toMatch(/^https:\/\/pay\.example\.test\/pay\//);
    const email = await mail.waitFor((m) => payLinkIn(m) === resent.paymentLink.url);
    expect(email.subject).toContain(invoice.number);
    expect((await publicLink(token)).status).toBe('SUPERSEDED');
    expect((await publicLink(tokenOf(resent.paymentLink.url))).status).toBe('PAYABLE');
    expect(resent.paymentLinks.map((l: Inv) => l.status)).toEqual(['ACTIVE', 'SUPERSEDED']);
  });

  it('voids an unpaid invoice: its link says VOID', async () => {
    const { invoice, token } = await sendAndReceive((await createInvoice()).id);
    const voided = (await merchant.client().request<Inv>(VOID, { id: invoice.id })).voidInvoice;
    expect(voided.status).toBe('VOID');
    expect((await publicLink(token)).status).toBe('VOID');
    for (const [op, vars] of [[SEND, { id: invoice.id }], [RESEND, { id: invoice.id }], [UPDATE_INVOICE, { id: invoice.id, input: { dueDate: '2027-01-01' } }]] as const) {
      expect((await expectGraphQLError(merchant.client(), op, vars)).extensions?.code).toBe('INVOICE_VOID');
    }
  });

  it('answers null for an unknown token', async () => {
    expect(await publicLink('x'.repeat(43))).toBeNull();
    expect(await publicLink('')).toBeNull();
  });

  it('writes an outbox event for every state change', async () => {
    const { invoice } = await sendAndReceive((await createInvoice()).id);
    await offline(invoice.id, '33990');
    const events = await t.orm.em.fork().find(OutboxEvent, { merchantId: merchant.id, aggregateId: { $in: [invoice.id] } }, { orderBy: { position: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['invoice.created', 'invoice.sent', 'invoice.status_changed']);
    const [payment] = (await merchant.client().request<Inv>(INVOICE, { id: invoice.id })).invoice.transactions;
    const paymentEvents = await t.orm.em.fork().find(OutboxEvent, { aggregateType: 'transaction', aggregateId: payment.id });
    expect(paymentEvents.map((e) => [e.type, e.payload.invoiceIds])).toEqual([['transaction.succeeded', [invoice.id]]]);
    const linkEvents = await t.orm.em.fork().find(OutboxEvent, { aggregateType: 'payment_link', aggregateId: invoice.paymentLink.id });
    expect(linkEvents.map((e) => e.type)).toEqual(['payment_link.created']);
  });
});

describe('listing invoices', () => {
  it('paginates newest first with cursors, filters by status and customer', async () => {
    const lister = await t.createMerchant('Lister');
    const client = lister.client();
    const c1 = (await client.request<Inv>(CREATE_CUSTOMER, { input: { name: 'One', email: 'one@example.com' } })).createCustomer.id;
    const c2 = (await client.request<Inv>(CREATE_CUSTOMER, { input: { name: 'Two', email: 'two@example.com' } })).createCustomer.id;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const input = { customerId: i % 2 ? c2 : c1, number: `L-${i}`, currency: 'USD', lines: [{ description: 'x', quantity: 1, unitAmount: '100' }] };
      ids.push((await client.request<Inv>(CREATE_INVOICE, { input })).createInvoice.id);
    }
    await client.request(SEND, { id: ids[4] });
    const page = `query ($first: Int, $after: String, $status: InvoiceStatus, $customerId: ID) {
      invoices(first: $first, after: $after, status: $status, customerId: $customerId) { edges { cursor node { id number } } pageInfo { hasNextPage endCursor } } }`;
    const first = (await client.request<Inv>(page, { first: 2 })).invoices;
    expect(first.edges.map((e: Inv) => e.node.number)).toEqual(['L-4', 'L-3']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await client.request<Inv>(page, { first: 2, after: first.pageInfo.endCursor })).invoices;
    expect(second.edges.map((e: Inv) => e.node.number)).toEqual(['L-2', 'L-1']);
    const last = (await client.request<Inv>(page, { first: 2, after: second.pageInfo.endCursor })).invoices;
    expect(last.edges.map((e: Inv) => e.node.number)).toEqual(['L-0']);
    expect(last.pageInfo.hasNextPage).toBe(false);

    expect((await client.request<Inv>(page, { status: 'OPEN' })).invoices.edges.map((e: Inv) => e.node.number)).toEqual(['L-4']);
    expect((await client.request<Inv>(page, { customerId: c2 })).invoices.edges.map((e: Inv) => e.node.number)).toEqual(['L-3', 'L-1']);
    const viaCustomer = (await client.request<Inv>(`query ($id: ID!) { customer(id: $id) { invoices(first: 10) { edges { node { number } } } } }`, { id: c1 })).customer;
    expect(viaCustomer.invoices.edges.map((e: Inv) => e.node.number)).toEqual(['L-4', 'L-2', 'L-0']);
    // Another merchant sees none of them.
    expect((await other.client().request<Inv>(page, {})).invoices.edges).toEqual([]);
    expect((await expectGraphQLError(client, page, { first: 101 })).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await expectGraphQLError(client, page, { after: 'garbage' })).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('issues a constant number of SQL statements whatever the page size', async () => {
    // An instance without a job worker: background jobs (email delivery) would share the counted ORM.
    const quiet = await startTestApi({ RUN_JOBS: 'false' });
    try {
      await countStatements(quiet);
    } finally {
      await quiet.close();
    }
  });

  it("reads only the invoice's own transactions to show its link, however long the merchant's history", async () => {
    // The soak found link lookups growing with every payment: without fresh planner statistics, the
    // amounts started from every SUCCEEDED transaction and probed their allocations.
    const history = await t.createMerchant('Long History');
    const client = history.client();
    const cust = (await client.request<Inv>(CREATE_CUSTOMER, { input: { name: 'Regular', email: 'regular@example.com' } })).createCustomer.id;
    const invoiceIds: string[] = [];
    for (const number of ['H-1', 'H-2']) {
      const id = (await client.request<Inv>(CREATE_INVOICE, { input: { customerId: cust, number, currency: 'USD', lines: [{ description: 'x', quantity: 1, unitAmount: '900000' }] } })).createInvoice.id;
      await client.request(SEND, { id });
      invoiceIds.push(id);
    }
    const [shown, busy] = invoiceIds;
    await client.request(OFFLINE, { invoiceId: shown, amount: '100', method: 'CASH', key: randomUUID() });
    const connection = t.orm.em.fork().getConnection();
    await connection.execute(
      `with made as (
         insert into "transaction" (id, merchant_id, kind, status, channel, method, amount, currency, idempotency_key, requires_manual_reconciliation, settlement, version, created_at, updated_at)
         select gen_random_uuid(), ?, 'CHARGE', 'SUCCEEDED', 'MANUAL_ENTRY', 'CREDIT_CARD', 1, 'USD', 'history-' || g, false, 'PENDING', 1, now(), now()
         from generate_series(1, 3000) g returning id)
       insert into transaction_allocation (id, transaction_id, invoice_id, amount) select gen_random_uuid(), id, ?, 1 from made`,
      [history.id, busy],
    );
    const [link] = await connection.execute<{ token_hash: string }[]>(`select token_hash from payment_link where invoice_id = ? and status = 'ACTIVE'`, [shown]);
    const [explained] = await connection.execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(`explain (analyze, format json) ${publicLinkSql}`, [link.token_hash]);
    const transactionRowsRead = (node: PlanNode): number =>
      (node['Relation Name'] === 'transaction' ? node['Actual Rows'] * node['Actual Loops'] : 0) + (node.Plans ?? []).reduce((sum, child) => sum + transactionRowsRead(child), 0);
    expect(transactionRowsRead(explained['QUERY PLAN'][0].Plan)).toBeLessThanOrEqual(2);
    // The same amounts, read the bounded way.
    expect((await client.request<Inv>(INVOICE, { id: shown })).invoice.amountPaid.amount).toBe('100');
    expect((await client.request<Inv>(INVOICE, { id: busy })).invoice.amountPaid.amount).toBe('3000');
  });

  it('reads the public link view through a statement planned once per connection, and inside a transaction sees its writes', async () => {
    const merchant = await t.createMerchant('Prepared Reads');
    const client = merchant.client();
    const customerId = (await client.request<Inv>(CREATE_CUSTOMER, { input: { name: 'Prepared', email: 'prepared@example.com' } })).createCustomer.id;
    const invoiceId = (await client.request<Inv>(CREATE_INVOICE, { input: { customerId, number: 'P-1', currency: 'USD', lines: [{ description: 'x', quantity: 1, unitAmount: '5000' }] } })).createInvoice.id;
    const token = tokenOf((await client.request<Inv>(SEND, { id: invoiceId })).sendInvoice.paymentLink.url);

    // One pooled connection: the statement's preparation is visible to the next query on it.
    const orm = await createOrm(t.db.url, 1, createLogger('error'));
    try {
      const em = orm.em.fork();
      const links = new PaymentLinkService(em, t.settings);
      for (let i = 0; i < 3; i++) expect((await links.findPublic(token, t.clock.now()))?.amounts.due).toBe(5000n);
      const pool = await em.getConnection().getNativeClient();
      const { rows } = await pool.query<{ name: string }>('select name from pg_prepared_statements');
      expect(rows.map((row) => row.name)).toEqual(['kometpay_public_link_view']);

      const rolledBack = new Error('roll back');
      await expect(
        em.transactional(async (tx) => {
          await tx.execute(`update invoice_line set unit_amount = 7000 where invoice_id = ?`, [invoiceId]);
          expect((await new PaymentLinkService(tx, t.settings).findPublic(token, t.clock.now()))?.amounts.due).toBe(7000n);
          throw rolledBack;
        }),
      ).rejects.toBe(rolledBack);
      expect((await links.findPublic(token, t.clock.now()))?.amounts.due).toBe(5000n);
      expect(await links.findPublic('no-such-token', t.clock.now())).toBeNull();
    } finally {
      await orm.close();
    }
  });
});

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

/** Seeds 60 invoices x 2 payments and checks that a page of 50 costs the statements a page of 5 does. */
async function countStatements(t: TestApi): Promise<void> {
  const bulk = await t.createMerchant('Bulk');
  const client = bulk.client();
  const cust = (await client.request<Inv>(CREATE_CUSTOMER, { input: { name: 'Bulk Buyer', email: 'bulk@example.com' } })).createCustomer.id;
  for (let i = 0; i < 60; i++) {
    const input = { customerId: cust, number: `B-${i}`, currency: 'USD', lines: [{ description: 'a', quantity: 1, unitAmount: '1000' }, { description: 'b', quantity: 2, unitAmount: '50' }] };
    const id = (await client.request<Inv>(CREATE_INVOICE, { input })).createInvoice.id;
    await client.request(SEND, { id });
    await client.request(OFFLINE, { invoiceId: id, amount: '100', method: 'CASH', key: randomUUID() });
    await client.request(OFFLINE, { invoiceId: id, amount: '200', method: 'CHECK', key: randomUUID() });
  }
  const query = `query ($first: Int) { invoices(first: $first) { edges { node { ${INVOICE_FIELDS} } } } }`;
  const count = async (first: number) => {
    t.queries.length = 0;
    const data = await client.request<Inv>(query, { first });
    expect(data.invoices.edges).toHaveLength(first);
    // The key's last use is stamped at most once a minute: that write may fall in any request.
    return t.queries.filter((sql) => !/^\[query\] update "api_key"/.test(sql)).length;
  };
  // The same page with first written literally (the cost limit weighs literal list sizes) is not refused.
  const literal = await client.request<Inv>(`{ invoices(first: 50) { edges { node { ${INVOICE_FIELDS} } } } }`);
  expect(literal.invoices.edges).toHaveLength(50);
  const forFive = await count(5);
  const forFifty = await count(50);
  expect(forFifty).toBe(forFive);
  expect(forFifty).toBeLessThanOrEqual(7);
}

describe('bad input: a coded error, nothing changed', () => {
  async function invoiceCount(): Promise<number> {
    return t.orm.em.fork().count(Invoice, { merchant: merchant.id });
  }

  it.each([
    ['an unknown customer', { customerId: randomUUID() }, 'NOT_FOUND', 'customerId'],
    ['empty lines', { lines: [] }, 'BAD_USER_INPUT', 'lines'],
    ['a zero quantity', { lines: [{ description: 'x', quantity: 0, unitAmount: '100' }] }, 'BAD_USER_INPUT', 'lines.0.quantity'],
    ['a negative amount', { lines: [{ description: 'x', quantity: 1, unitAmount: '-1' }] }, 'BAD_USER_INPUT', 'lines.0.unitAmount'],
    ['an unknown currency', { currency: 'XYZ' }, 'UNKNOWN_CURRENCY', 'currency'],
    ['a total above the range', { lines: [{ description: 'x', quantity: 2, unitAmount: '9223372036854775807' }] }, 'AMOUNT_OUT_OF_RANGE', 'lines'],
  ])('%s', async (_label, overrides, code, field) => {
    const before = await invoiceCount();
    const input = { customerId, number: `BAD-${randomUUID()}`, currency: 'USD', lines, ...overrides };
    const error = await expectGraphQLError(merchant.client(), CREATE_INVOICE, { input });
    expect(error.extensions?.code).toBe(code);
    expect(String(error.extensions?.field ?? '')).toContain(field.split('.')[0]);
    expect(await invoiceCount()).toBe(before);
  });

  it('a foreign customer answers like an unknown one', async () => {
    const foreignCustomer = (await other.client().request<Inv>(CREATE_CUSTOMER, { input: { name: 'Theirs', email: 'theirs@example.com' } })).createCustomer.id;
    const error = await expectGraphQLError(merchant.client(), CREATE_INVOICE, { input: { customerId: foreignCustomer, number: 'F-1', currency: 'USD', lines } });
    expect(error.extensions?.code).toBe('NOT_FOUND');
  });

  it('non-integer and out-of-range amounts are refused by the MinorUnits scalar', async () => {
    for (const [unitAmount, code] of [['10.50', 'BAD_USER_INPUT'], ['ten', 'BAD_USER_INPUT'], ['9223372036854775808', 'AMOUNT_OUT_OF_RANGE']]) {
      const error = await expectGraphQLError(merchant.client(), CREATE_INVOICE, { input: { customerId, number: 'S-1', currency: 'USD', lines: [{ description: 'x', quantity: 1, unitAmount }] } });
      expect(error.extensions?.code).toBe(code);
      expect(error.message).toMatch(/MinorUnits/);
    }
  });

  it('a duplicate invoice number for the merchant', async () => {
    const number = `DUP-${randomUUID()}`;
    await createInvoice({ number });
    const before = await invoiceCount();
    const error = await expectGraphQLError(merchant.client(), CREATE_INVOICE, { input: { customerId, number, currency: 'USD', lines } });
    expect(error.extensions).toMatchObject({ code: 'DUPLICATE', field: 'number' });
    expect(await invoiceCount()).toBe(before);
  });

  it('an offline payment above the amount due, or on a draft', async () => {
    const { invoice } = await sendAndReceive((await createInvoice()).id);
    const over = await expectGraphQLError(merchant.client(), OFFLINE, { invoiceId: invoice.id, amount: '33991', method: 'CHECK', key: randomUUID() });
    expect(over.extensions).toMatchObject({ code: 'AMOUNT_EXCEEDS_DUE', payable: '33990' });
    const draft = await createInvoice();
    expect((await expectGraphQLError(merchant.client(), OFFLINE, { invoiceId: draft.id, amount: '1', method: 'CHECK', key: randomUUID() })).extensions?.code).toBe('INVOICE_NOT_SENT');
    expect((await expectGraphQLError(merchant.client(), OFFLINE, { invoiceId: invoice.id, amount: '1', method: 'CREDIT_CARD', key: randomUUID() })).extensions?.code).toBe('BAD_USER_INPUT');
    const after = (await merchant.client().request<Inv>(INVOICE, { id: invoice.id })).invoice;
    expect(after.transactions).toEqual([]);
  });

  it('sending twice, resending a draft, and touching another merchant’s invoice', async () => {
    const draft = await createInvoice();
    expect((await expectGraphQLError(merchant.client(), RESEND, { id: draft.id })).extensions?.code).toBe('INVOICE_NOT_SENT');
    await sendAndReceive(draft.id);
    expect((await expectGraphQLError(merchant.client(), SEND, { id: draft.id })).extensions?.code).toBe('INVALID_STATE_TRANSITION');
    for (const op of [SEND, RESEND, VOID]) {
      expect((await expectGraphQLError(other.client(), op, { id: draft.id })).extensions?.code).toBe('NOT_FOUND');
    }
    expect((await other.client().request<Inv>(INVOICE, { id: draft.id })).invoice).toBeNull();
  });
});
