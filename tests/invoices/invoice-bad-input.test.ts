import { randomUUID } from 'node:crypto';
import {
  type CreateInvoiceInput,
  CreateInvoiceWithDetailDocument,
  type PaymentMethodKind,
  RecordOfflinePaymentWithDetailDocument,
  ResendInvoiceDocument,
  SendInvoiceWithDetailDocument,
  VoidInvoiceDocument,
} from '@kometpay/schema/merchant';
import { Invoice } from '../../apps/api/src/app/test-kit.js';
import type { TestApi, TestMerchant } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { Shop } from '../support/shop.js';
import { InvoiceDesk, LINES as lines } from './support.js';

let desk: InvoiceDesk;
let t: TestApi;
let merchant: TestMerchant;
let other: TestMerchant;
let customerId: string;

beforeAll(async () => {
  desk = await InvoiceDesk.open();
  ({ t, merchant, customerId } = desk);
  other = await t.createMerchant('Other Merchant');
});
afterAll(() => desk.close());

const createInvoice = (overrides: Partial<CreateInvoiceInput> = {}) => desk.createInvoice(overrides);
const sendAndReceive = (invoiceId: string) => desk.sendAndReceive(invoiceId);
const readInvoice = (id: string, owner?: TestMerchant) => desk.readInvoice(id, owner);

describe('bad input: a coded error, nothing changed', () => {
  async function invoiceCount(): Promise<number> {
    return t.orm.em.fork().count(Invoice, { merchant: merchant.id });
  }

  it.each<[string, Partial<CreateInvoiceInput>, string, string]>([
    ['an unknown customer', { customerId: randomUUID() }, 'NOT_FOUND', 'customerId'],
    ['empty lines', { lines: [] }, 'BAD_USER_INPUT', 'lines'],
    ['a zero quantity', { lines: [{ description: 'x', quantity: 0, unitAmount: '100' }] }, 'BAD_USER_INPUT', 'lines.0.quantity'],
    ['a negative amount', { lines: [{ description: 'x', quantity: 1, unitAmount: '-1' }] }, 'BAD_USER_INPUT', 'lines.0.unitAmount'],
    ['an unknown currency', { currency: 'XYZ' }, 'UNKNOWN_CURRENCY', 'currency'],
    [
      'a total above the range',
      { lines: [{ description: 'x', quantity: 2, unitAmount: '9223372036854775807' }] },
      'AMOUNT_OUT_OF_RANGE',
      'lines',
    ],
  ])('%s', async (_label, overrides, code, field) => {
    const before = await invoiceCount();
    const input = { customerId, number: `BAD-${randomUUID()}`, currency: 'USD', lines, ...overrides };
    const error = await expectGraphQLError(merchant.client(), CreateInvoiceWithDetailDocument, { input });
    expect(error.extensions?.code).toBe(code);
    expect(String(error.extensions?.field ?? '')).toContain(field.split('.')[0]);
    expect(await invoiceCount()).toBe(before);
  });

  it('a foreign customer answers like an unknown one', async () => {
    const foreignCustomer = await Shop.open(other, t.url, { name: 'Theirs', email: 'theirs@example.com' });
    const error = await expectGraphQLError(merchant.client(), CreateInvoiceWithDetailDocument, {
      input: { customerId: foreignCustomer.customerId, number: 'F-1', currency: 'USD', lines },
    });
    expect(error.extensions?.code).toBe('NOT_FOUND');
  });

  it('non-integer and out-of-range amounts are refused by the MinorUnits scalar', async () => {
    for (const [unitAmount, code] of [
      ['10.50', 'BAD_USER_INPUT'],
      ['ten', 'BAD_USER_INPUT'],
      ['9223372036854775808', 'AMOUNT_OUT_OF_RANGE'],
    ]) {
      const error = await expectGraphQLError(merchant.client(), CreateInvoiceWithDetailDocument, {
        input: { customerId, number: 'S-1', currency: 'USD', lines: [{ description: 'x', quantity: 1, unitAmount }] },
      });
      expect(error.extensions?.code).toBe(code);
      expect(error.message).toMatch(/MinorUnits/);
    }
  });

  it('a duplicate invoice number for the merchant', async () => {
    const number = `DUP-${randomUUID()}`;
    await createInvoice({ number });
    const before = await invoiceCount();
    const error = await expectGraphQLError(merchant.client(), CreateInvoiceWithDetailDocument, {
      input: { customerId, number, currency: 'USD', lines },
    });
    expect(error.extensions).toMatchObject({ code: 'DUPLICATE', field: 'number' });
    expect(await invoiceCount()).toBe(before);
  });

  it('an offline payment above the amount due, or on a draft', async () => {
    const { invoice } = await sendAndReceive((await createInvoice()).id);
    const refusal = (invoiceId: string, amount: string, method: PaymentMethodKind) =>
      expectGraphQLError(merchant.client(), RecordOfflinePaymentWithDetailDocument, {
        invoiceId,
        amount,
        method,
        idempotencyKey: randomUUID(),
      });
    const over = await refusal(invoice.id, '33991', 'CHECK');
    expect(over.extensions).toMatchObject({ code: 'AMOUNT_EXCEEDS_DUE', payable: '33990' });
    const draft = await createInvoice();
    expect((await refusal(draft.id, '1', 'CHECK')).extensions?.code).toBe('INVOICE_NOT_SENT');
    expect((await refusal(invoice.id, '1', 'CREDIT_CARD')).extensions?.code).toBe('BAD_USER_INPUT');
    const after = await readInvoice(invoice.id);
    expect(after?.transactions).toEqual([]);
  });

  it('sending twice, resending a draft, and touching another merchant’s invoice', async () => {
    const draft = await createInvoice();
    expect((await expectGraphQLError(merchant.client(), ResendInvoiceDocument, { id: draft.id })).extensions?.code).toBe(
      'INVOICE_NOT_SENT',
    );
    await sendAndReceive(draft.id);
    expect((await expectGraphQLError(merchant.client(), SendInvoiceWithDetailDocument, { id: draft.id })).extensions?.code).toBe(
      'INVALID_STATE_TRANSITION',
    );
    for (const refused of [
      await expectGraphQLError(other.client(), SendInvoiceWithDetailDocument, { id: draft.id }),
      await expectGraphQLError(other.client(), ResendInvoiceDocument, { id: draft.id }),
      await expectGraphQLError(other.client(), VoidInvoiceDocument, { id: draft.id }),
    ]) {
      expect(refused.extensions?.code).toBe('NOT_FOUND');
    }
    expect(await readInvoice(draft.id, other)).toBeNull();
  });
});
