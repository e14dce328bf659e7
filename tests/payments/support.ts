import { randomUUID } from 'node:crypto';
import {
  type ChargeInvoicesInput,
  ChargeInvoicesWithDetailDocument,
  CreateCreditMemoWithDetailDocument,
  InvoiceWithPaymentsDocument,
  IssueCreditMemoRefundWithDetailDocument,
  RefundTransactionWithDetailDocument,
  TransactionWithDetailDocument,
} from '@kometpay/schema/merchant';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { openShop, type Shop } from '../support/shop.js';
import { payLinkIn, startSmtpServer, type TestMailbox, tokenOf } from '../support/smtp.js';

/** The standard card fee on an amount: 2.9% rounded up, plus 30 cents. */
export const cardFee = (amount: bigint) => (amount * 290n + 9999n) / 10000n + 30n;

/** A sent invoice of one line (33,990 unless told) and its link token, taken from the email received over SMTP. */
export async function emailedInvoice(
  shop: Shop,
  mail: TestMailbox,
  total = '33990',
): Promise<{ id: string; number: string; token: string }> {
  const { id, number } = await shop.sentInvoice({
    number: `P-${randomUUID().slice(0, 8)}`,
    lines: [{ description: 'Roses', quantity: 1, unitAmount: total }],
  });
  const email = await mail.waitFor((m) => m.subject?.includes(number) === true);
  return { id, number, token: tokenOf(payLinkIn(email)) };
}

/** A merchant of its own with a customer, and the calls these tests make, answering every detail. */
export async function openPaymentsDesk(t: TestApi, name = `Merchant ${randomUUID().slice(0, 6)}`) {
  const shop = await openShop(t, name, { name: 'Buyer', email: 'buyer@example.com' });
  const { merchant, customerId, client } = shop;
  const invoice = async (amount: string): Promise<string> =>
    (
      await shop.sentInvoice({
        number: `R-${randomUUID().slice(0, 8)}`,
        lines: [{ description: 'Roses', quantity: 1, unitAmount: amount }],
      })
    ).id;
  const charge = async (invoiceIds: string[], paymentMethodToken = 'pm_card_visa', allocations?: ChargeInvoicesInput['allocations']) =>
    (
      await client.request(ChargeInvoicesWithDetailDocument, {
        input: { customerId, invoiceIds, paymentMethodToken, allocations },
        idempotencyKey: randomUUID(),
      })
    ).chargeInvoices;
  const read = async (id: string) => (await client.request(InvoiceWithPaymentsDocument, { id })).invoice!;
  const transaction = async (id: string) => (await client.request(TransactionWithDetailDocument, { id })).transaction!;
  const refund = async (id: string) =>
    (await client.request(RefundTransactionWithDetailDocument, { id, idempotencyKey: randomUUID() })).refundTransaction;
  const refusedRefund = (id: string) =>
    expectGraphQLError(client, RefundTransactionWithDetailDocument, { id, idempotencyKey: randomUUID() });
  const memo = async (invoiceId: string, amount: string, reason: string) =>
    (await client.request(CreateCreditMemoWithDetailDocument, { input: { invoiceId, amount, reason } })).createCreditMemo;
  const refusedMemo = (invoiceId: string, amount: string, reason: string) =>
    expectGraphQLError(client, CreateCreditMemoWithDetailDocument, { input: { invoiceId, amount, reason } });
  const issue = async (creditMemoId: string) =>
    (await client.request(IssueCreditMemoRefundWithDetailDocument, { creditMemoId, idempotencyKey: randomUUID() })).issueCreditMemoRefund;
  const refusedIssue = (creditMemoId: string) =>
    expectGraphQLError(client, IssueCreditMemoRefundWithDetailDocument, { creditMemoId, idempotencyKey: randomUUID() });
  return {
    merchant,
    customerId,
    client,
    invoice,
    charge,
    read,
    transaction,
    refund,
    refusedRefund,
    memo,
    refusedMemo,
    issue,
    refusedIssue,
  };
}

/**
 * The API with a real SMTP server, ACH settling after 1 s and stranded attempts recoverable at once,
 * and Acme Flowers' shop with its customer Bloom & Stem: the world of the merchant-side payment tests.
 */
export async function openMailedShop(): Promise<{ t: TestApi; mail: TestMailbox; shop: Shop; close(): Promise<void> }> {
  const mail = await startSmtpServer();
  const t = await startTestApi({ SMTP_URL: mail.url, SANDBOX_ACH_SETTLE_SECONDS: '1', PAYMENT_RECOVERY_AFTER_SECONDS: '0' });
  const shop = await openShop(t, 'Acme Flowers', { name: 'Bloom & Stem', email: 'ap@bloom.example' });
  return {
    t,
    mail,
    shop,
    async close() {
      await t.close();
      await mail.close();
    },
  };
}
