import { type SandboxPlatform, type SandboxProcessor, Transaction } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { bankAccount, eventually, tokenise } from '../support/payments.js';
import { Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';

type Json = Record<string, any>;

let t: TestApi;
let shop: Shop;
let sandbox: SandboxProcessor;

beforeAll(async () => {
  // The bank never moves by itself here: each test steps it (settle, then return) when it is ready.
  t = await startTestApi({ SANDBOX_ACH_SETTLE_SECONDS: '3600' });
  shop = await Shop.open(await t.createMerchant('Returned Flowers'), t.url);
  sandbox = (t.api.deps.processors.platform as SandboxPlatform).controls;
});
afterAll(() => scanAndClose('ACH returns', t));

/** The sandbox account that settles, then is returned (R01). */
const returningAccount = () => tokenise(t.url, bankAccount('000111111116'));

/** The bank's next step for a debit (processing -> succeeded -> returned), and our record catching up. */
async function bankStep(transactionId: string, expected: 'SUCCEEDED' | 'RETURNED'): Promise<void> {
  const { processorReference } = await t.orm.em.fork().findOneOrFail(Transaction, { id: transactionId });
  await sandbox.advanceAch(processorReference!);
  await eventually(async () => (await shop.transaction(transactionId)).status === expected);
}

const amounts = (invoice: Json) => ({
  status: invoice.status,
  paid: invoice.amountPaid.amount,
  credited: invoice.amountCredited.amount,
  due: invoice.amountDue.amount,
});

/** Each scenario pays by a debit that will be returned, does something meanwhile, and says what the invoices must look like after the return. */
const SCENARIOS: Record<string, () => Promise<Json[]>> = {
  'a whole invoice paid on the pay page': async () => {
    const invoice = await shop.sentInvoice(25_000);
    const paid = await shop.payWithLink(invoice.token, await returningAccount());
    expect(paid.status).toBe('PROCESSING');
    const { id } = (await shop.readInvoice(invoice.id)).transactions[0];
    await bankStep(id, 'SUCCEEDED');
    expect((await shop.readInvoice(invoice.id)).status).toBe('PAID');
    await bankStep(id, 'RETURNED');
    expect(amounts(await shop.readInvoice(invoice.id))).toEqual({ status: 'OPEN', paid: '0', credited: '0', due: '25000' });
    // Reopened means payable again, on the same link.
    expect((await shop.payWithLink(invoice.token, 'pm_card_visa')).status).toBe('SUCCEEDED');
    return [{ id: invoice.id, expected: { status: 'PAID', paid: '25000', credited: '0', due: '0' } }];
  },
  'part of an invoice, the rest paid by card': async () => {
    const invoice = await shop.sentInvoice(10_000);
    const debit = await shop.charge([invoice.id], await returningAccount(), undefined, [{ invoiceId: invoice.id, amount: '6000' }]);
    await shop.charge([invoice.id], 'pm_card_visa');
    await bankStep(debit.id, 'SUCCEEDED');
    await bankStep(debit.id, 'RETURNED');
    return [{ id: invoice.id, expected: { status: 'PARTIALLY_PAID', paid: '4000', credited: '0', due: '6000' } }];
  },
  'one debit over two invoices': async () => {
    const [first, second] = [await shop.sentInvoice(3_000), await shop.sentInvoice(4_000)];
    const debit = await shop.charge([first.id, second.id], await returningAccount());
    await bankStep(debit.id, 'SUCCEEDED');
    await bankStep(debit.id, 'RETURNED');
    return [
      { id: first.id, expected: { status: 'OPEN', paid: '0', credited: '0', due: '3000' } },
      { id: second.id, expected: { status: 'OPEN', paid: '0', credited: '0', due: '4000' } },
    ];
  },
  'credited and partly refunded before the return': async () => {
    const invoice = await shop.sentInvoice(10_000);
    const debit = await shop.charge([invoice.id], await returningAccount());
    await bankStep(debit.id, 'SUCCEEDED');
    await shop.issueMemoRefund((await shop.creditMemo(invoice.id, 3_000)).id);
    await bankStep(debit.id, 'RETURNED');
    // The customer still owes the invoice less its credit; the refund paid on a returned debit is the merchant's to reconcile.
    return [{ id: invoice.id, expected: { status: 'OPEN', paid: '0', credited: '3000', due: '7000' } }];
  },
  'fully refunded before the return': async () => {
    const invoice = await shop.sentInvoice(8_000);
    const debit = await shop.charge([invoice.id], await returningAccount());
    await bankStep(debit.id, 'SUCCEEDED');
    await shop.refund(debit.id);
    await bankStep(debit.id, 'RETURNED');
    return [{ id: invoice.id, expected: { status: 'OPEN', paid: '0', credited: '0', due: '8000' } }];
  },
};

describe('ACH debits returned after they succeeded', () => {
  it('reopen their invoices, and leave no balance negative', async () => {
    const copies = pick(2, 10);
    let invoices = 0;
    let negative = 0;
    for (let copy = 0; copy < copies; copy++) {
      const outcomes = await Promise.all(Object.entries(SCENARIOS).map(async ([name, run]) => ({ name, invoices: await run() })));
      for (const { name, invoices: expectations } of outcomes) {
        for (const { id, expected } of expectations) {
          const actual = amounts(await shop.readInvoice(id));
          if (BigInt(actual.paid) < 0n || BigInt(actual.due) < 0n) negative++;
          expect({ name, actual }).toEqual({ name, actual: expected });
          invoices++;
        }
      }
    }
    await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant] });
    report(
      'ACH returns',
      `${Object.keys(SCENARIOS).length} scenarios x ${copies}, ${invoices} invoices after a return as expected, ${negative} negative balances`,
    );
  });
});
