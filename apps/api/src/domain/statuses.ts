import { StateMachine } from './state-machine.js';

// The status enums and transition tables of DESIGN.md section 1b: one source of truth.

export enum InvoiceStatus {
  DRAFT = 'DRAFT',
  OPEN = 'OPEN',
  PARTIALLY_PAID = 'PARTIALLY_PAID',
  PAID = 'PAID',
  VOID = 'VOID',
}

export const invoiceStateMachine = new StateMachine<InvoiceStatus>('Invoice', {
  DRAFT: [InvoiceStatus.OPEN, InvoiceStatus.VOID],
  OPEN: [InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.VOID],
  // Refunds and returns move an invoice back down.
  PARTIALLY_PAID: [InvoiceStatus.OPEN, InvoiceStatus.PAID],
  PAID: [InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OPEN],
  VOID: [],
});

/**
 * A link's status as the merchant sees it. Only ACTIVE, SUPERSEDED and EXPIRED are ever stored;
 * PAID and VOID are derived from the invoice (see domain/invoice-amounts.ts).
 */
export enum PaymentLinkStatus {
  ACTIVE = 'ACTIVE',
  PAID = 'PAID',
  EXPIRED = 'EXPIRED',
  SUPERSEDED = 'SUPERSEDED',
  VOID = 'VOID',
}

export const paymentLinkStateMachine = new StateMachine<PaymentLinkStatus>('PaymentLink', {
  ACTIVE: [PaymentLinkStatus.SUPERSEDED, PaymentLinkStatus.EXPIRED],
  PAID: [],
  EXPIRED: [],
  SUPERSEDED: [],
  VOID: [],
});

export enum TransactionKind {
  CHARGE = 'CHARGE',
  REFUND = 'REFUND',
  /** A disputed charge's money, taken back by the processor while the dispute is open (DESIGN.md 1b). */
  DISPUTE = 'DISPUTE',
}

export enum TransactionStatus {
  PENDING = 'PENDING',
  /** The processor waits for the customer (3-D Secure, ACH micro-deposits); nothing is captured yet. */
  REQUIRES_ACTION = 'REQUIRES_ACTION',
  PROCESSING = 'PROCESSING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELED = 'CANCELED',
  RETURNED = 'RETURNED',
}

export const transactionStateMachine = new StateMachine<TransactionStatus>('Transaction', {
  PENDING: [
    TransactionStatus.REQUIRES_ACTION,
    TransactionStatus.PROCESSING,
    TransactionStatus.SUCCEEDED,
    TransactionStatus.FAILED,
    TransactionStatus.CANCELED,
  ],
  REQUIRES_ACTION: [TransactionStatus.PROCESSING, TransactionStatus.SUCCEEDED, TransactionStatus.FAILED, TransactionStatus.CANCELED],
  PROCESSING: [TransactionStatus.SUCCEEDED, TransactionStatus.FAILED, TransactionStatus.CANCELED],
  SUCCEEDED: [TransactionStatus.RETURNED],
  FAILED: [],
  CANCELED: [],
  RETURNED: [],
});

/**
 * A dispute (chargeback) as the processor reports it (DESIGN.md 1b). Evidence moves it from
 * NEEDS_RESPONSE to UNDER_REVIEW; the card network's decision closes it WON or LOST. A dispute
 * closed without evidence goes straight from NEEDS_RESPONSE to its outcome.
 */
export enum DisputeStatus {
  NEEDS_RESPONSE = 'NEEDS_RESPONSE',
  UNDER_REVIEW = 'UNDER_REVIEW',
  WON = 'WON',
  LOST = 'LOST',
}

export const disputeStateMachine = new StateMachine<DisputeStatus>('Dispute', {
  NEEDS_RESPONSE: [DisputeStatus.UNDER_REVIEW, DisputeStatus.WON, DisputeStatus.LOST],
  UNDER_REVIEW: [DisputeStatus.WON, DisputeStatus.LOST],
  WON: [],
  LOST: [],
});

export enum PaymentChannel {
  PAYMENT_LINK = 'PAYMENT_LINK',
  MANUAL_ENTRY = 'MANUAL_ENTRY',
  TERMINAL = 'TERMINAL',
  VIRTUAL_TERMINAL = 'VIRTUAL_TERMINAL',
  VAULT = 'VAULT',
  OFFLINE = 'OFFLINE',
}

export enum PaymentMethodKind {
  CREDIT_CARD = 'CREDIT_CARD',
  DEBIT_CARD = 'DEBIT_CARD',
  PREPAID_CARD = 'PREPAID_CARD',
  ACH = 'ACH',
  CHECK = 'CHECK',
  CASH = 'CASH',
  OTHER = 'OTHER',
}

export enum SettlementState {
  SETTLED = 'SETTLED',
  PENDING = 'PENDING',
  FAILED = 'FAILED',
  RETURNED = 'RETURNED',
}

export const settlementStateMachine = new StateMachine<SettlementState>('Settlement', {
  PENDING: [SettlementState.SETTLED, SettlementState.FAILED, SettlementState.RETURNED],
  // A payout that fails after it was paid puts its money back on the processor balance.
  SETTLED: [SettlementState.PENDING, SettlementState.RETURNED],
  FAILED: [],
  RETURNED: [],
});
