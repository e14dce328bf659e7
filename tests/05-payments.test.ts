import { randomUUID } from 'node:crypto';
import { SandboxPayment } from '../apps/api/src/processors/sandbox/sandbox.entities.js';
import { Transaction } from '../apps/api/src/modules/transaction/transaction.entity.js';
import { TransactionAllocation } from '../apps/api/src/modules/transaction/transaction.entity.js';
import { OutboxEvent } from '../apps/api/src/modules/outbox/outbox-event.entity.js';
import { startTestApi, type TestApi, type TestMerchant } from './support/api.js';
import { expectGraphQLError } from './support/graphql.js';
import { TEST_CARDS, bankAccount, card, eventually, tokenise } from './support/payments.js';
import { payLinkIn, startSmtpServer, tokenOf, type TestMailbox } from './support/smtp.js';

type Json = Record<string, any>;

const TX_FIELDS = `id kind status channel method amount { amount currency } fee { amount } authorizationCode settlement
  requiresManualReconciliation failureCode failureMessage invoices { id number status amountDue { amount } }`;
const PAY = `mutation ($token: String!, $pm: String!, $key: String!) {
  payWithLink(token: $token, paymentMethodToken: $pm, idempotencyKey: $key) {
    status failureCode failureMessage
    receipt { amount { amount formatted } method brand last4 authorizationCode date }
    link { status amountPaid { amount } amountDue { amount } }
  }
}`;
const LINK = `query ($token: String!) { paymentLink(token: $token) { status amountPaid { amount } amountDue { amount } } }`;
const INVOICE = `query ($id: ID!) { invoice(id: $id) { id status amountPaid { amount } amountDue { amount } transactions { ${TX_FIELDS} } } }`;
const CHARGE = `mutation ($input: ChargeInvoicesInput!, $key: String!) { chargeInvoices(input: $input, idempotencyKey: $key) { ${TX_FIELDS} } }`;
const VIRTUAL = `mutation ($input: VirtualTerminalChargeInput!, $key: String!) { virtualTerminalCharge(input: $input, idempotencyKey: $key) { ${TX_FIELDS} customer { id } } }`;
const TRANSACTION = `query ($id: ID!) { transaction(id: $id) { ${TX_FIELDS} } }`;

let t: TestApi;
let mail: TestMailbox;
let merchant: TestMerchant;
let customerId: string;

beforeAll(async () => {
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url, SANDBOX_ACH_SETTLE_SECONDS: '1', PAYMENT_RECOVERY_AFTER_SECONDS: '0' });
  merchant = await t.createMerchant('Acme Flowers');
  customerId = (await merchant.client().request<Json>(`mutation { createCustomer(input: { name: "Bloom & Stem", email: "ap@bloom.example" }) { id } }`)).createCustomer.id;
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

/** A sent invoice of 33,990 ($339.90) and its link token, taken from the email received over SMTP. */
async function sentInvoice(total = '33990'): Promise<{ id: string; number: string; token: string }> {
  const number = `P-${randomUUID().slice(0, 8)}`;
  const created = await merchant.client().request<Json>(`mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`, {
    input: { customerId, number, currency: 'USD', lines: [{ description: 'Roses', quantity: 1, unitAmount: total }] },
  });
  const id = created.createInvoice.id;
  await merchant.client().request(`mutation ($id: ID!) { sendInvoice(id: $id) { id } }`, { id });
  const email = await mail.waitFor((m) => m.subject?.includes(number) === true);
  return { id, number, token: tokenOf(payLinkIn(email)) };
}

const pay = async (token: string, pm: string, key = randomUUID()) => (await t.checkout.request<Json>(PAY, { token, pm, key })).payWithLink;
const invoice = async (id: string) => (await merchant.client().request<Json>(INVOICE, { id })).invoice;
const cardFee = (amount: bigint) => (amount * 290n + 9999n) / 10000n + 30n;

describe('paying by link', () => {
  it('pays by credit card: SUCCEEDED, a receipt, the invoice PAID, the fee recorded, a receipt email', async () => {
    const { id, number, token } = await sentInvoice();
    const pm = await tokenise(t.url, card(TEST_CARDS.visaCredit));
    const result = await pay(token, pm);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      failureCode: null,
      receipt: { amount: { amount: '33990', formatted: '$339.90' }, method: 'CREDIT_CARD', brand: 'visa', last4: '4242', authorizationCode: expect.stringMatching(/^[0-9A-F]{6}$/) },
      link: { status: 'PAID', amountPaid: { amount: '33990' }, amountDue: { amount: '0' } },
    });
    const after = await invoice(id);
    expect(after).toMatchObject({ status: 'PAID', amountDue: { amount: '0' } });
    expect(after.transactions[0]).toMatchObject({ channel: 'PAYMENT_LINK', method: 'CREDIT_CARD', status: 'SUCCEEDED', fee: { amount: cardFee(33990n).toString() }, settlement: 'PENDING' });
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
    expect(declined).toMatchObject({ status: 'FAILED', failureCode: 'PAYMENT_DECLINED', receipt: null, link: { status: 'PAYABLE', amountDue: { amount: '33990' } } });
    expect(declined.failureMessage).toMatch(/declined/i);
    for (const [number, code] of [[TEST_CARDS.insufficientFunds, 'INSUFFICIENT_FUNDS'], [TEST_CARDS.expired, 'CARD_EXPIRED']]) {
      expect(await pay(token, await tokenise(t.url, card(number)))).toMatchObject({ status: 'FAILED', failureCode: code });
    }
    expect(await pay(token, 'pm_card_chargeDeclined')).toMatchObject({ status: 'FAILED', failureCode: 'PAYMENT_DECLINED' });
    const success = await pay(token, 'pm_card_visa');
    expect(success.status).toBe('SUCCEEDED');
    const after = await invoice(id);
    expect(after.status).toBe('PAID');
    expect(after.transactions.map((tx: Json) => tx.status)).toEqual(['FAILED', 'FAILED', 'FAILED', 'FAILED', 'SUCCEEDED']);
    expect(after.transactions.filter((tx: Json) => tx.status === 'FAILED').every((tx: Json) => tx.fee === null && tx.settlement === 'FAILED')).toBe(true);
  });

  it('refuses payment on a paid link, and an unknown or unusable token', async () => {
    const { token } = await sentInvoice();
    await pay(token, 'pm_card_visa');
    const again = await expectGraphQLError(t.checkout, PAY, { token, pm: 'pm_card_visa', key: randomUUID() });
    expect(again.extensions?.code).toBe('INVOICE_ALREADY_PAID');
    expect((await expectGraphQLError(t.checkout, PAY, { token: 'nope', pm: 'pm_card_visa', key: randomUUID() })).extensions?.code).toBe('NOT_FOUND');
    const fresh = await sentInvoice();
    const invalid = await expectGraphQLError(t.checkout, PAY, { token: fresh.token, pm: 'pm_not_a_token', key: randomUUID() });
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
    expect(((await response.json()) as Json).error.code).toBe('card_not_test');
  });

  it('takes ACH as PROCESSING, refuses a second payment meanwhile, then settles', async () => {
    const { id, token } = await sentInvoice('250000');
    const result = await pay(token, await tokenise(t.url, bankAccount('000123456789')));
    expect(result).toMatchObject({ status: 'PROCESSING', receipt: { method: 'ACH', last4: '6789' }, link: { status: 'PROCESSING' } });
    expect((await t.checkout.request<Json>(LINK, { token })).paymentLink.status).toBe('PROCESSING');
    expect((await expectGraphQLError(t.checkout, PAY, { token, pm: 'pm_card_visa', key: randomUUID() })).extensions?.code).toBe('PAYMENT_IN_PROGRESS');

    const settled = await eventually(async () => {
      const current = await invoice(id);
      return current.status === 'PAID' && current;
    });
    expect(settled.transactions[0]).toMatchObject({ status: 'SUCCEEDED', method: 'ACH', settlement: 'SETTLED', fee: { amount: '500' } }); // 0.8% capped at $5
    expect((await t.checkout.request<Json>(LINK, { token })).paymentLink.status).toBe('PAID');
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
    expect((await t.checkout.request<Json>(LINK, { token })).paymentLink.status).toBe('PAYABLE');
    const events = await t.orm.em.fork().find(OutboxEvent, { aggregateId: reopened.transactions[0].id }, { orderBy: { position: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['transaction.created', 'transaction.processing', 'transaction.succeeded', 'transaction.returned']);
  });

  it('charges exactly once when 20 payments race on one invoice', async () => {
    const { id, token } = await sentInvoice();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => pay(token, 'pm_card_visa')));
    const succeeded = results.filter((r) => r.status === 'fulfilled' && r.value.status === 'SUCCEEDED');
    expect(succeeded).toHaveLength(1);
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason?.response?.errors?.[0]?.extensions?.code));
    expect(new Set(refusals).size).toBeLessThanOrEqual(2);
    refusals.forEach((code) => expect(['PAYMENT_IN_PROGRESS', 'INVOICE_ALREADY_PAID']).toContain(code));
    const after = await invoice(id);
    expect(after.transactions.filter((tx: Json) => tx.status === 'SUCCEEDED')).toHaveLength(1);
    const charges = await t.orm.em.fork().count(SandboxPayment, { metadata: { transactionId: { $in: after.transactions.map((tx: Json) => tx.id) } } } as never);
    expect(charges).toBe(1);
  });

  it('replays the same key without a second charge, and refuses the key with another input', async () => {
    const { id, token } = await sentInvoice();
    const key = randomUUID();
    const first = await pay(token, 'pm_card_visa', key);
    const replay = await pay(token, 'pm_card_visa', key);
    expect(replay.receipt).toEqual(first.receipt);
    expect((await invoice(id)).transactions).toHaveLength(1);
    const reused = await expectGraphQLError(t.checkout, PAY, { token, pm: 'pm_card_visa_debit', key });
    expect(reused.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('merchant-side payments', () => {
  it('charges several invoices of a customer in one payment, oldest first, or as split', async () => {
    const a = await sentInvoice('10000');
    const b = await sentInvoice('20000');
    const tx = (await merchant.client().request<Json>(CHARGE, { input: { customerId, invoiceIds: [b.id, a.id], paymentMethodToken: 'pm_card_visa' }, key: randomUUID() })).chargeInvoices;
    expect(tx).toMatchObject({ status: 'SUCCEEDED', channel: 'MANUAL_ENTRY', amount: { amount: '30000' }, fee: { amount: cardFee(30000n).toString() } });
    expect(tx.invoices.map((i: Json) => [i.id, i.status])).toEqual(expect.arrayContaining([[a.id, 'PAID'], [b.id, 'PAID']]));
    const allocations = await t.orm.em.fork().find(TransactionAllocation, { transaction: tx.id });
    expect(allocations.map((al) => [al.invoice.id, al.amount])).toEqual(expect.arrayContaining([[a.id, 10000n], [b.id, 20000n]]));

    const c = await sentInvoice('10000');
    const d = await sentInvoice('20000');
    const split = (await merchant.client().request<Json>(CHARGE, {
      input: { customerId, invoiceIds: [c.id, d.id], allocations: [{ invoiceId: c.id, amount: '4000' }, { invoiceId: d.id, amount: '20000' }], paymentMethodToken: await tokenise(t.url, card(TEST_CARDS.visaCredit)) },
      key: randomUUID(),
    })).chargeInvoices;
    expect(split.amount.amount).toBe('24000');
    expect((await invoice(c.id))).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amount: '6000' } });
    expect((await invoice(d.id)).status).toBe('PAID');
  });

  it('refuses bad charges with a coded error and records nothing', async () => {
    const e = await sentInvoice('10000');
    const cases: [Json, string][] = [
      [{ customerId, invoiceIds: [e.id], allocations: [{ invoiceId: e.id, amount: '10001' }], paymentMethodToken: 'pm_card_visa' }, 'AMOUNT_EXCEEDS_DUE'],
      [{ customerId, invoiceIds: [e.id], paymentMethodToken: 'pm_card_visa', vaultedCardId: randomUUID() }, 'BAD_USER_INPUT'],
      [{ customerId, invoiceIds: [e.id] }, 'BAD_USER_INPUT'],
      [{ customerId, invoiceIds: [] , paymentMethodToken: 'pm_card_visa' }, 'BAD_USER_INPUT'],
      [{ customerId: randomUUID(), invoiceIds: [e.id], paymentMethodToken: 'pm_card_visa' }, 'NOT_FOUND'],
      [{ customerId, invoiceIds: [randomUUID()], paymentMethodToken: 'pm_card_visa' }, 'NOT_FOUND'],
      [{ customerId, invoiceIds: [e.id], vaultedCardId: randomUUID() }, 'NOT_FOUND'],
      [{ customerId, invoiceIds: [e.id], paymentMethodToken: 'tok_bogus' }, 'INVALID_PAYMENT_METHOD'],
    ];
    for (const [input, code] of cases) {
      const error = await expectGraphQLError(merchant.client(), CHARGE, { input, key: randomUUID() });
      expect([JSON.stringify(input), error.extensions?.code]).toEqual([JSON.stringify(input), code]);
    }
    expect((await invoice(e.id)).transactions).toEqual([]);
    const other = await t.createMerchant('Other');
    expect((await expectGraphQLError(other.client(), CHARGE, { input: { customerId, invoiceIds: [e.id], paymentMethodToken: 'pm_card_visa' }, key: randomUUID() })).extensions?.code).toBe('NOT_FOUND');
  });

  it('takes a virtual-terminal payment: no invoice, flagged for manual reconciliation', async () => {
    const tx = (await merchant.client().request<Json>(VIRTUAL, { input: { amount: '5000', currency: 'usd', description: 'Counter sale', customerId, paymentMethodToken: 'pm_card_visa' }, key: randomUUID() })).virtualTerminalCharge;
    expect(tx).toMatchObject({ status: 'SUCCEEDED', channel: 'VIRTUAL_TERMINAL', requiresManualReconciliation: true, invoices: [], amount: { amount: '5000', currency: 'USD' }, customer: { id: customerId } });
    expect((await expectGraphQLError(merchant.client(), VIRTUAL, { input: { amount: '0', currency: 'USD', description: 'x', paymentMethodToken: 'pm_card_visa' }, key: randomUUID() })).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await expectGraphQLError(merchant.client(), VIRTUAL, { input: { amount: '100', currency: 'ZZZ', description: 'x', paymentMethodToken: 'pm_card_visa' }, key: randomUUID() })).extensions?.code).toBe('UNKNOWN_CURRENCY');
  });

  it('takes a card-present payment on a registered reader', async () => {
    const reader = (await merchant.client().request<Json>(`mutation { registerTerminalReader(input: { label: "Front desk", registrationCode: "simulated-wpe" }) { id label status deviceType processorReference } }`)).registerTerminalReader;
    expect(reader).toMatchObject({ label: 'Front desk', status: 'online', deviceType: 'bbpos_wisepos_e' });
    expect((await merchant.client().request<Json>('{ terminalReaders { id } }')).terminalReaders).toEqual([{ id: reader.id }]);

    const inv = await sentInvoice('15000');
    const collect = `mutation ($reader: ID!, $ids: [ID!], $key: String!) { collectTerminalPayment(readerId: $reader, invoiceIds: $ids, idempotencyKey: $key) { ${TX_FIELDS} } }`;
    const pending = (await merchant.client().request<Json>(collect, { reader: reader.id, ids: [inv.id], key: randomUUID() })).collectTerminalPayment;
    expect(pending).toMatchObject({ status: 'PROCESSING', channel: 'TERMINAL', amount: { amount: '15000' } });

    const presented = await fetch(`${t.url}/sandbox/v1/terminal/readers/${reader.processorReference}/present_payment_method`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ 'card[number]': TEST_CARDS.visaDebit, 'card[exp_month]': '12', 'card[exp_year]': '2034', 'card[cvc]': '123' }).toString(),
    });
    expect(presented.status).toBe(200);
    const done = await eventually(async () => {
      const tx = (await merchant.client().request<Json>(TRANSACTION, { id: pending.id })).transaction;
      return tx.status === 'SUCCEEDED' && tx;
    });
    expect(done).toMatchObject({ method: 'DEBIT_CARD', authorizationCode: expect.any(String) });
    expect((await invoice(inv.id)).status).toBe('PAID');
    expect((await expectGraphQLError(merchant.client(), `mutation { registerTerminalReader(input: { label: "X", registrationCode: "bogus" }) { id } }`)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'registrationCode' });
  });
});

describe('recovery of attempts left PENDING', () => {
  async function strandedAttempt(alreadyCharged: boolean): Promise<{ transactionId: string; invoiceId: string }> {
    const inv = await sentInvoice('7700');
    const em = t.orm.em.fork();
    const transaction = em.create(Transaction, {
      merchant: merchant.id,
      customer: customerId,
      kind: 'CHARGE' as never,
      status: 'PENDING' as never,
      channel: 'MANUAL_ENTRY' as never,
      method: 'CREDIT_CARD' as never,
      amount: 7700n,
      currency: 'USD',
      idempotencyKey: `stranded-${randomUUID()}`,
      paymentMethodReference: 'pm_card_visa',
      createdAt: new Date(Date.now() - 120_000),
      updatedAt: new Date(Date.now() - 120_000),
    });
    em.create(TransactionAllocation, { transaction, invoice: inv.id, amount: 7700n });
    await em.flush();
    if (alreadyCharged) {
      // The process died after the processor charged but before the outcome was written.
      await t.api.deps.processor.createPayment({ idempotencyKey: `txn_${transaction.id}`, amount: 7700n, currency: 'USD', paymentMethod: 'pm_card_visa', customerReference: null, description: null, metadata: { transactionId: transaction.id, merchantId: merchant.id }, mandate: null });
    }
    return { transactionId: transaction.id, invoiceId: inv.id };
  }

  it.each([[false], [true]])('resolves the attempt exactly once (processor already charged: %s)', async (alreadyCharged) => {
    const { transactionId, invoiceId } = await strandedAttempt(alreadyCharged);
    await t.orm.em.fork().execute(`select graphile_worker.add_job('recover-payments', '{}'::json)`);
    const recovered = await eventually(async () => {
      const tx = (await merchant.client().request<Json>(TRANSACTION, { id: transactionId })).transaction;
      return tx.status === 'SUCCEEDED' && tx;
    });
    expect(recovered.invoices[0]).toMatchObject({ id: invoiceId, status: 'PAID' });
    expect(await t.orm.em.fork().count(SandboxPayment, { idempotencyKey: `txn_${transactionId}` })).toBe(1);
  });
});
