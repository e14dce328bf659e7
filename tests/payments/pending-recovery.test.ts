import { randomUUID } from 'node:crypto';
import { TransactionWithDetailDocument } from '@kometpay/schema/merchant';
import { SandboxPayment, Transaction, TransactionAllocation } from '../../apps/api/src/app/test-kit.js';
import type { TestApi, TestMerchant } from '../support/api.js';
import { eventually } from '../support/payments.js';
import type { Shop } from '../support/shop.js';
import type { TestMailbox } from '../support/smtp.js';
import { emailedInvoice, openMailedShop } from './support.js';

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
const transaction = async (id: string) => (await merchant.client().request(TransactionWithDetailDocument, { id })).transaction!;

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
      await (await t.api.deps.processors.of(merchant.id)).createPayment({
        idempotencyKey: `txn_${transaction.id}`,
        amount: 7700n,
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
        customerReference: null,
        description: null,
        metadata: { transactionId: transaction.id, merchantId: merchant.id },
        mandate: null,
        initiatedBy: 'merchant',
      });
    }
    return { transactionId: transaction.id, invoiceId: inv.id };
  }

  it.each([[false], [true]])('resolves the attempt exactly once (processor already charged: %s)', async (alreadyCharged) => {
    const { transactionId, invoiceId } = await strandedAttempt(alreadyCharged);
    await t.orm.em.fork().execute(`select graphile_worker.add_job('recover-payments', '{}'::json)`);
    const recovered = await eventually(async () => {
      const tx = await transaction(transactionId);
      return tx.status === 'SUCCEEDED' && tx;
    });
    expect(recovered.invoices[0]).toMatchObject({ id: invoiceId, status: 'PAID' });
    expect(await t.orm.em.fork().count(SandboxPayment, { idempotencyKey: `txn_${transactionId}` })).toBe(1);
  });
});
