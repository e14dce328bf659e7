import { randomUUID } from 'node:crypto';
import { PayWithLinkDocument } from '@kometpay/schema/checkout';
import {
  ChargeInvoicesDocument,
  type ChargeInvoicesInput,
  CreateCreditMemoDocument,
  CreateCustomerDocument,
  type CreateCustomerInput,
  CreateInvoiceDocument,
  type CreateInvoiceInput,
  ElevateSupervisorDocument,
  InvoiceDocument,
  IssueCreditMemoRefundDocument,
  RecordOfflinePaymentDocument,
  RefundTransactionDocument,
  SendInvoiceDocument,
  TransactionDocument,
} from '@kometpay/schema/merchant';
import { ClientError, GraphQLClient } from 'graphql-request';
import type { TestApi, TestMerchant } from './api.js';

/** An invoice to build: a total (one line of it), or the fields to set (a fresh number and one line of 10,000 otherwise). */
export type InvoiceSpec = bigint | number | string | Partial<CreateInvoiceInput>;

/** A sent invoice and its payment link: the URL is answered once, by sendInvoice (and in the email). */
export interface SentInvoice {
  id: string;
  number: string;
  url: string;
  token: string;
}

/**
 * A merchant with a customer, driven over HTTP as its ERP would (and its customers, on the pay
 * page): the builders tests start from (invoices drafted, sent, paid) and the calls that move
 * money, all with the typed documents of @kometpay/schema.
 */
export class Shop {
  readonly checkout: GraphQLClient;

  private constructor(
    readonly merchant: TestMerchant,
    readonly customerId: string,
    readonly apiUrl: string,
  ) {
    this.checkout = new GraphQLClient(`${apiUrl}/checkout/graphql`);
  }

  /** The merchant's shop, with a first customer (a name, or the whole input). */
  static async open(merchant: TestMerchant, apiUrl: string, customer: string | CreateCustomerInput = 'Reliable Buyer'): Promise<Shop> {
    return new Shop(merchant, await addCustomer(merchant, customer), apiUrl);
  }

  get client(): GraphQLClient {
    return this.merchant.client();
  }

  /** The merchant's client with a fresh supervisor token (elevateSupervisor with its password), for @supervisor fields. */
  async supervised(): Promise<GraphQLClient> {
    const { elevateSupervisor } = await this.client.request(ElevateSupervisorDocument, { password: this.merchant.supervisorPassword });
    return this.merchant.client(elevateSupervisor.token);
  }

  /** Another customer of this merchant; answers its id. */
  addCustomer(customer: string | CreateCustomerInput): Promise<string> {
    return addCustomer(this.merchant, customer);
  }

  /** A DRAFT invoice of this shop's customer (unless the spec names another). */
  async draftInvoice(spec: InvoiceSpec = {}): Promise<{ id: string; number: string }> {
    const { createInvoice } = await this.client.request(CreateInvoiceDocument, { input: invoiceInput(this.customerId, spec) });
    return { id: createInvoice.id, number: createInvoice.number };
  }

  /** Sends a draft: OPEN, with a payment link (and the email to the customer). */
  async send(invoice: { id: string; number: string }): Promise<SentInvoice> {
    const { sendInvoice } = await this.client.request(SendInvoiceDocument, { id: invoice.id });
    const url = sendInvoice.paymentLink?.url;
    if (!url) throw new Error(`sendInvoice answered no payment link URL for invoice ${invoice.id}`);
    return { id: invoice.id, number: invoice.number, url, token: url.slice(url.lastIndexOf('/') + 1) };
  }

  /** A sent invoice and its pay link. */
  async sentInvoice(spec: InvoiceSpec = {}): Promise<SentInvoice> {
    return this.send(await this.draftInvoice(spec));
  }

  /** A sent invoice paid in full by card (chargeInvoices, as manual entry), and that payment. */
  async paidInvoice(spec: InvoiceSpec = {}, paymentMethodToken = 'pm_card_visa') {
    const invoice = await this.sentInvoice(spec);
    const payment = await this.charge([invoice.id], paymentMethodToken);
    if (payment.status !== 'SUCCEEDED') throw new Error(`the payment of invoice ${invoice.id} ended ${payment.status}`);
    return { ...invoice, payment };
  }

  /** The pay page's own payment, with the checkout's document. */
  async payWithLink(token: string, paymentMethodToken: string, idempotencyKey: string = randomUUID()) {
    return (await this.checkout.request(PayWithLinkDocument, { token, paymentMethodToken, idempotencyKey })).payWithLink;
  }

  async charge(
    invoiceIds: string[],
    paymentMethodToken: string,
    idempotencyKey: string = randomUUID(),
    allocations?: ChargeInvoicesInput['allocations'],
  ) {
    const input = { customerId: this.customerId, invoiceIds, paymentMethodToken, allocations };
    return (await this.client.request(ChargeInvoicesDocument, { input, idempotencyKey })).chargeInvoices;
  }

  async recordOffline(invoiceId: string, amount: bigint | string, idempotencyKey: string = randomUUID()) {
    const variables = { invoiceId, amount: String(amount), method: 'CHECK', reference: 'CHK-1', idempotencyKey } as const;
    return (await this.client.request(RecordOfflinePaymentDocument, variables)).recordOfflinePayment;
  }

  async refund(transactionId: string, idempotencyKey: string = randomUUID()) {
    return (await this.client.request(RefundTransactionDocument, { id: transactionId, idempotencyKey })).refundTransaction;
  }

  async creditMemo(invoiceId: string, amount: bigint | number | string) {
    return (await this.client.request(CreateCreditMemoDocument, { input: { invoiceId, amount: String(amount), reason: 'Short delivery' } }))
      .createCreditMemo;
  }

  async issueMemoRefund(creditMemoId: string, idempotencyKey: string = randomUUID()) {
    return (await this.client.request(IssueCreditMemoRefundDocument, { creditMemoId, idempotencyKey })).issueCreditMemoRefund;
  }

  async transaction(id: string) {
    const { transaction } = await this.client.request(TransactionDocument, { id });
    if (!transaction) throw new Error(`transaction ${id} not found`);
    return transaction;
  }

  async readInvoice(id: string) {
    const { invoice } = await this.client.request(InvoiceDocument, { id });
    if (!invoice) throw new Error(`invoice ${id} not found`);
    return invoice;
  }
}

/** A merchant onboarded on the test API, and its shop with a first customer. */
export async function openShop(
  t: Pick<TestApi, 'url' | 'createMerchant'>,
  merchantName?: string,
  customer?: string | CreateCustomerInput,
): Promise<Shop> {
  return Shop.open(await t.createMerchant(merchantName), t.url, customer);
}

async function addCustomer(merchant: TestMerchant, customer: string | CreateCustomerInput): Promise<string> {
  const input = typeof customer === 'string' ? { name: customer, email: 'buyer@reliability.example' } : customer;
  return (await merchant.client().request(CreateCustomerDocument, { input })).createCustomer.id;
}

function invoiceInput(customerId: string, spec: InvoiceSpec): CreateInvoiceInput {
  const fields = typeof spec === 'object' ? spec : { lines: [{ description: 'Tulips', quantity: 1, unitAmount: String(spec) }] };
  return {
    customerId,
    number: `R-${randomUUID()}`,
    currency: 'USD',
    lines: [{ description: 'Tulips', quantity: 1, unitAmount: '10000' }],
    ...fields,
  };
}

/** The `extensions.code` of a GraphQL refusal; anything else (a transport failure) is rethrown. */
export function errorCode(error: unknown): string {
  if (error instanceof ClientError) return String(error.response.errors?.[0]?.extensions?.code ?? `HTTP ${error.response.status}`);
  throw error;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: string };

/** Runs a request and answers its result or its error code, so that races can be tallied. */
export async function outcome<P extends Promise<unknown>>(request: P): Promise<Outcome<Awaited<P>>> {
  try {
    return { ok: true, value: await request };
  } catch (error) {
    return { ok: false, code: errorCode(error) };
  }
}
