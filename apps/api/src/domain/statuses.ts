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
}

export enum TransactionStatus {
  PENDING = 'PENDING',
  PROCESSING = 'PROCESSING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELED = 'CANCELED',
  RETURNED = 'RETURNED',
}

export const transactionStateMachine = new StateMachine<TransactionStatus>('Transaction', {
  PENDING: [TransactionStatus.PROCESSING, TransactionStatus.SUCCEEDED, TransactionStatus.FAILED, TransactionStatus.CANCELED],
  PROCESSING: [TransactionStatus.SUCCEEDED, TransactionStatus.FAILED, TransactionStatus.CANCELED],
  SUCCEEDED: [TransactionStatus.RETURNED],
  FAILED: [],
  CANCELED: [],
  RETURNED: [],
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
