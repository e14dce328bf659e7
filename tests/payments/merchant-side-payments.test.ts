import { randomUUID } from 'node:crypto';
import {
  type ChargeInvoicesInput,
  ChargeInvoicesWithDetailDocument,
  CollectTerminalPaymentWithDetailDocument,
  InvoiceWithPaymentsDocument,
  RegisterTerminalReaderDocument,
  TerminalReadersDocument,
  TransactionWithDetailDocument,
  VirtualTerminalChargeWithDetailDocument,
} from '@kometpay/schema/merchant';
import { TransactionAllocation } from '../../apps/api/src/app/test-kit.js';
import type { TestApi, TestMerchant } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { card, eventually, TEST_CARDS, tokenise } from '../support/payments.js';
import type { Shop } from '../support/shop.js';
import type { TestMailbox } from '../support/smtp.js';
import { cardFee, emailedInvoice, openMailedShop } from './support.js';

let world: Awaited<ReturnType<typeof openMailedShop>>;
let t: TestApi;
let mail: TestMailbox;
let shop: Shop;
let merchant: TestMerchant;
let customerId: string;

beforeAll(async () => {
  world = await openMailedShop();
  ({ t, mail, shop } = world);
  ({ merchant, customerId } = shop);
});
afterAll(() => world.close());

const sentInvoice = (total?: string) => emailedInvoice(shop, mail, total);
const invoice = async (id: string) => (await merchant.client().request(InvoiceWithPaymentsDocument, { id })).invoice!;
const transaction = async (id: string) => (await merchant.client().request(TransactionWithDetailDocument, { id })).transaction!;
const charge = (input: ChargeInvoicesInput, client = merchant.client()) =>
  client.request(ChargeInvoicesWithDetailDocument, { input, idempotencyKey: randomUUID() });

describe('merchant-side payments', () => {
  it('charges several invoices of a customer in one payment, oldest first, or as split', async () => {
    const a = await sentInvoice('10000');
    const b = await sentInvoice('20000');
    const tx = (await charge({ customerId, invoiceIds: [b.id, a.id], paymentMethodToken: 'pm_card_visa' })).chargeInvoices;
    expect(tx).toMatchObject({
      status: 'SUCCEEDED',
      channel: 'MANUAL_ENTRY',
      amount: { amount: '30000' },
      fee: { amount: cardFee(30000n).toString() },
    });
    expect(tx.invoices.map((i) => [i.id, i.status])).toEqual(
      expect.arrayContaining([
        [a.id, 'PAID'],
        [b.id, 'PAID'],
      ]),
    );
    const allocations = await t.orm.em.fork().find(TransactionAllocation, { transaction: tx.id });
    expect(allocations.map((al) => [al.invoice.id, al.amount])).toEqual(
      expect.arrayContaining([
        [a.id, 10000n],
        [b.id, 20000n],
      ]),
    );

    const c = await sentInvoice('10000');
    const d = await sentInvoice('20000');
    const split = (
      await charge({
        customerId,
        invoiceIds: [c.id, d.id],
        allocations: [
          { invoiceId: c.id, amount: '4000' },
          { invoiceId: d.id, amount: '20000' },
        ],
        paymentMethodToken: await tokenise(t.url, card(TEST_CARDS.visaCredit)),
      })
    ).chargeInvoices;
    expect(split.amount.amount).toBe('24000');
    expect(await invoice(c.id)).toMatchObject({ status: 'PARTIALLY_PAID', amountDue: { amount: '6000' } });
    expect((await invoice(d.id)).status).toBe('PAID');
  });

  it('refuses bad charges with a coded error and records nothing', async () => {
    const e = await sentInvoice('10000');
    const cases: [ChargeInvoicesInput, string][] = [
      [
        { customerId, invoiceIds: [e.id], allocations: [{ invoiceId: e.id, amount: '10001' }], paymentMethodToken: 'pm_card_visa' },
        'AMOUNT_EXCEEDS_DUE',
      ],
      [{ customerId, invoiceIds: [e.id], paymentMethodToken: 'pm_card_visa', vaultedCardId: randomUUID() }, 'BAD_USER_INPUT'],
      [{ customerId, invoiceIds: [e.id] }, 'BAD_USER_INPUT'],
      [{ customerId, invoiceIds: [], paymentMethodToken: 'pm_card_visa' }, 'BAD_USER_INPUT'],
      [{ customerId: randomUUID(), invoiceIds: [e.id], paymentMethodToken: 'pm_card_visa' }, 'NOT_FOUND'],
      [{ customerId, invoiceIds: [randomUUID()], paymentMethodToken: 'pm_card_visa' }, 'NOT_FOUND'],
      [{ customerId, invoiceIds: [e.id], vaultedCardId: randomUUID() }, 'NOT_FOUND'],
      [{ customerId, invoiceIds: [e.id], paymentMethodToken: 'tok_bogus' }, 'INVALID_PAYMENT_METHOD'],
    ];
    for (const [input, code] of cases) {
      const error = await expectGraphQLError(merchant.client(), ChargeInvoicesWithDetailDocument, { input, idempotencyKey: randomUUID() });
      expect([JSON.stringify(input), error.extensions?.code]).toEqual([JSON.stringify(input), code]);
    }
    expect((await invoice(e.id)).transactions).toEqual([]);
    const other = await t.createMerchant('Other');
    expect(
      (
        await expectGraphQLError(other.client(), ChargeInvoicesWithDetailDocument, {
          input: { customerId, invoiceIds: [e.id], paymentMethodToken: 'pm_card_visa' },
          idempotencyKey: randomUUID(),
        })
      ).extensions?.code,
    ).toBe('NOT_FOUND');
  });

  it('takes a virtual-terminal payment: no invoice, flagged for manual reconciliation', async () => {
    const tx = (
      await merchant.client().request(VirtualTerminalChargeWithDetailDocument, {
        input: { amount: '5000', currency: 'usd', description: 'Counter sale', customerId, paymentMethodToken: 'pm_card_visa' },
        idempotencyKey: randomUUID(),
      })
    ).virtualTerminalCharge;
    expect(tx).toMatchObject({
      status: 'SUCCEEDED',
      channel: 'VIRTUAL_TERMINAL',
      requiresManualReconciliation: true,
      invoices: [],
      amount: { amount: '5000', currency: 'USD' },
      customer: { id: customerId },
    });
    expect(
      (
        await expectGraphQLError(merchant.client(), VirtualTerminalChargeWithDetailDocument, {
          input: { amount: '0', currency: 'USD', description: 'x', paymentMethodToken: 'pm_card_visa' },
          idempotencyKey: randomUUID(),
        })
      ).extensions?.code,
    ).toBe('BAD_USER_INPUT');
    expect(
      (
        await expectGraphQLError(merchant.client(), VirtualTerminalChargeWithDetailDocument, {
          input: { amount: '100', currency: 'ZZZ', description: 'x', paymentMethodToken: 'pm_card_visa' },
          idempotencyKey: randomUUID(),
        })
      ).extensions?.code,
    ).toBe('UNKNOWN_CURRENCY');
  });

  it('takes a card-present payment on a registered reader', async () => {
    const reader = (
      await merchant.client().request(RegisterTerminalReaderDocument, { input: { label: 'Front desk', registrationCode: 'simulated-wpe' } })
    ).registerTerminalReader;
    expect(reader).toMatchObject({ label: 'Front desk', status: 'online', deviceType: 'bbpos_wisepos_e' });
    expect((await merchant.client().request(TerminalReadersDocument)).terminalReaders).toEqual([{ id: reader.id }]);

    const inv = await sentInvoice('15000');
    const pending = (
      await merchant
        .client()
        .request(CollectTerminalPaymentWithDetailDocument, { readerId: reader.id, invoiceIds: [inv.id], idempotencyKey: randomUUID() })
    ).collectTerminalPayment;
    expect(pending).toMatchObject({ status: 'PROCESSING', channel: 'TERMINAL', amount: { amount: '15000' } });

    const presented = await fetch(`${t.url}/sandbox/v1/terminal/readers/${reader.processorReference}/present_payment_method`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        'card[number]': TEST_CARDS.visaDebit,
        'card[exp_month]': '12',
        'card[exp_year]': '2034',
        'card[cvc]': '123',
      }).toString(),
    });
    expect(presented.status).toBe(200);
    const done = await eventually(async () => {
      const tx = await transaction(pending.id);
      return tx.status === 'SUCCEEDED' && tx;
    });
    expect(done).toMatchObject({ method: 'DEBIT_CARD', authorizationCode: expect.any(String) });
    expect((await invoice(inv.id)).status).toBe('PAID');
    expect(
      (
        await expectGraphQLError(merchant.client(), RegisterTerminalReaderDocument, {
          input: { label: 'X', registrationCode: 'bogus' },
        })
      ).extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'registrationCode' });
  });
});
