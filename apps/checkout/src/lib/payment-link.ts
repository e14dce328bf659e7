/** What the pay page works with: the checkout schema's types, as the checkout server hands them on. */

export type LinkStatus = 'PAYABLE' | 'PROCESSING' | 'PAID' | 'EXPIRED' | 'SUPERSEDED' | 'VOID';
export type PaymentMethodKind = 'CREDIT_CARD' | 'DEBIT_CARD' | 'PREPAID_CARD' | 'ACH' | 'CASH' | 'CHECK' | 'OTHER';
export type TransactionStatus = 'PENDING' | 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'RETURNED';

export interface Money {
  amount: string;
  formatted: string;
}

export interface Processor {
  kind: 'SANDBOX' | 'STRIPE';
  publishableKey: string | null;
  tokeniserUrl: string | null;
}

export interface InvoiceLine {
  description: string;
  quantity: number;
  amount: Money;
}

export interface PaymentLink {
  status: LinkStatus;
  merchantName: string;
  invoiceNumber: string;
  dueDate: string | null;
  currency: string;
  acceptedMethods: PaymentMethodKind[];
  lines: InvoiceLine[];
  total: Money;
  amountPaid: Money;
  amountCredited: Money;
  amountDue: Money;
  processor: Processor;
}

export interface Receipt {
  amount: Money;
  method: PaymentMethodKind;
  brand: string | null;
  last4: string | null;
  authorizationCode: string | null;
  date: string;
}

/** One payment attempt: the tokenised method and the idempotency key that goes with it, reused on a retry. */
export interface PaymentAttempt {
  paymentMethodToken: string;
  idempotencyKey: string;
}

/** What POST /pay/[token]/payments answers: the attempt's result, or the API's refusal with the link as it now is. */
export type PaymentResponse =
  | {
      kind: 'result';
      status: TransactionStatus;
      failureCode: string | null;
      failureMessage: string | null;
      receipt: Receipt | null;
      link: PaymentLink;
    }
  | { kind: 'refused'; code: string; link: PaymentLink | null };
