import { randomUUID } from 'node:crypto';
import { ClientError, GraphQLClient } from 'graphql-request';
import type { TestMerchant } from '../../support/api.js';

type Json = Record<string, any>;

export const TRANSACTION_FIELDS = 'id kind status channel method amount { amount } failureCode refundedAmount { amount } invoices { id status }';

/** A merchant with a customer, driven over HTTP like its ERP would (and its customers, on the pay page). */
export class Shop {
  readonly checkout: GraphQLClient;

  private constructor(
    readonly merchant: TestMerchant,
    readonly customerId: string,
    readonly apiUrl: string,
  ) {
    this.checkout = new GraphQLClient(`${apiUrl}/checkout/graphql`);
  }

  static async open(merchant: TestMerchant, apiUrl: string, customerName = 'Reliable Buyer'): Promise<Shop> {
    const { createCustomer } = await merchant.client().request<Json>(`mutation ($name: String!) { createCustomer(input: { name: $name, email: "buyer@reliability.example" }) { id } }`, { name: customerName });
    return new Shop(merchant, createCustomer.id, apiUrl);
  }

  get client(): GraphQLClient {
    return this.merchant.client();
  }

  /** A sent invoice and its pay-link token (the URL is answered once, by sendInvoice). */
  async invoice(total: bigint | number | string): Promise<{ id: string; token: string }> {
    const { createInvoice } = await this.client.request<Json>(`mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`, {
      input: { customerId: this.customerId, number: `R-${randomUUID()}`, currency: 'USD', lines: [{ description: 'Tulips', quantity: 1, unitAmount: String(total) }] },
    });
    const { sendInvoice } = await this.client.request<Json>(`mutation ($id: ID!) { sendInvoice(id: $id) { paymentLink { url } } }`, { id: createInvoice.id });
    const url: string = sendInvoice.paymentLink.url;
    return { id: createInvoice.id, token: url.slice(url.lastIndexOf('/') + 1) };
  }

  async payWithLink(token: string, paymentMethodToken: string, idempotencyKey: string = randomUUID()): Promise<Json> {
    const document = `mutation ($token: String!, $pm: String!, $key: String!) { payWithLink(token: $token, paymentMethodToken: $pm, idempotencyKey: $key) {
      status failureCode receipt { amount { amount } method last4 authorizationCode } link { status amountPaid { amount } amountDue { amount } } } }`;
    return (await this.checkout.request<Json>(document, { token, pm: paymentMethodToken, key: idempotencyKey })).payWithLink;
  }

  async charge(invoiceIds: string[], paymentMethodToken: string, idempotencyKey: string = randomUUID(), allocations?: { invoiceId: string; amount: string }[]): Promise<Json> {
    const document = `mutation ($input: ChargeInvoicesInput!, $key: String!) { chargeInvoices(input: $input, idempotencyKey: $key) { ${TRANSACTION_FIELDS} } }`;
    return (await this.client.request<Json>(document, { input: { customerId: this.customerId, invoiceIds, paymentMethodToken, allocations }, key: idempotencyKey })).chargeInvoices;
  }

  async recordOffline(invoiceId: string, amount: bigint | string, idempotencyKey: string = randomUUID()): Promise<Json> {
    const document = `mutation ($invoiceId: ID!, $amount: MinorUnits!, $key: String!) { recordOfflinePayment(invoiceId: $invoiceId, amount: $amount, method: CHECK, reference: "CHK-1", idempotencyKey: $key) { ${TRANSACTION_FIELDS} } }`;
    return (await this.client.request<Json>(document, { invoiceId, amount: String(amount), key: idempotencyKey })).recordOfflinePayment;
  }

  async refund(transactionId: string, idempotencyKey: string = randomUUID()): Promise<Json> {
    const document = `mutation ($id: ID!, $key: String!) { refundTransaction(id: $id, idempotencyKey: $key) { ${TRANSACTION_FIELDS} } }`;
    return (await this.client.request<Json>(document, { id: transactionId, key: idempotencyKey })).refundTransaction;
  }

  async creditMemo(invoiceId: string, amount: bigint | number | string): Promise<Json> {
    const document = `mutation ($input: CreateCreditMemoInput!) { createCreditMemo(input: $input) { id amount { amount } } }`;
    return (await this.client.request<Json>(document, { input: { invoiceId, amount: String(amount), reason: 'Short delivery' } })).createCreditMemo;
  }

  async issueMemoRefund(creditMemoId: string, idempotencyKey: string = randomUUID()): Promise<Json> {
    const document = `mutation ($id: ID!, $key: String!) { issueCreditMemoRefund(creditMemoId: $id, idempotencyKey: $key) { id refunds { id status amount { amount } } } }`;
    return (await this.client.request<Json>(document, { id: creditMemoId, key: idempotencyKey })).issueCreditMemoRefund;
  }

  async transaction(id: string): Promise<Json> {
    return (await this.client.request<Json>(`query ($id: ID!) { transaction(id: $id) { ${TRANSACTION_FIELDS} } }`, { id })).transaction;
  }

  async readInvoice(id: string): Promise<Json> {
    const document = `query ($id: ID!) { invoice(id: $id) { id status total { amount } amountPaid { amount } amountCredited { amount } amountDue { amount }
      transactions { ${TRANSACTION_FIELDS} } } }`;
    return (await this.client.request<Json>(document, { id })).invoice;
  }
}

/** The `extensions.code` of a GraphQL refusal; anything else (a transport failure) is rethrown. */
export function errorCode(error: unknown): string {
  if (error instanceof ClientError) return String(error.response.errors?.[0]?.extensions?.code ?? `HTTP ${error.response.status}`);
  throw error;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: string };

/** Runs a request and answers its result or its error code, so that races can be tallied. */
export async function outcome<T>(request: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await request };
  } catch (error) {
    return { ok: false, code: errorCode(error) };
  }
}
