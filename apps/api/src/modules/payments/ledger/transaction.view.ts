import type { PaymentChannel, PaymentMethodKind, SettlementState, TransactionKind, TransactionStatus } from '../../../domain/statuses.js';

/**
 * A transaction as the API shows it, read straight from SQL: the transaction log's hot path skips
 * entity hydration (a page of 50 entities cost more CPU than the rest of the request).
 */
export interface TransactionView {
  id: string;
  kind: TransactionKind;
  status: TransactionStatus;
  channel: PaymentChannel;
  method: PaymentMethodKind;
  amount: bigint;
  currency: string;
  fee: bigint | null;
  authorizationCode: string | null;
  settlement: SettlementState;
  settledAt: Date | null;
  settlementReference: string | null;
  requiresManualReconciliation: boolean;
  reconciledAt: Date | null;
  reconciledBy: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  createdAt: Date;
  customerId: string | null;
  refundOfId: string | null;
  cardBrand: string | null;
  cardLast4: string | null;
  updatedAt: Date;
}

/** The columns of a view, aliased: `select ${TRANSACTION_VIEW_COLUMNS} from "transaction" t`. */
export const TRANSACTION_VIEW_COLUMNS = `t.id, t.kind, t.status, t.channel, t.method, t.amount::text as amount, t.currency, t.fee::text as fee,
  t.authorization_code, t.settlement, t.settled_at, t.settlement_reference, t.requires_manual_reconciliation, t.reconciled_at,
  t.reconciled_by, t.failure_code, t.failure_message, t.created_at, t.customer_id, t.refund_of_id, t.card_brand, t.card_last4, t.updated_at`;

export interface TransactionViewRow {
  id: string;
  kind: TransactionKind;
  status: TransactionStatus;
  channel: PaymentChannel;
  method: PaymentMethodKind;
  amount: string;
  currency: string;
  fee: string | null;
  authorization_code: string | null;
  settlement: SettlementState;
  settled_at: Date | string | null;
  settlement_reference: string | null;
  requires_manual_reconciliation: boolean;
  reconciled_at: Date | string | null;
  reconciled_by: string | null;
  failure_code: string | null;
  failure_message: string | null;
  created_at: Date | string;
  customer_id: string | null;
  refund_of_id: string | null;
  card_brand: string | null;
  card_last4: string | null;
  updated_at: Date | string;
}

const dateOrNull = (value: Date | string | null) => (value === null ? null : new Date(value));

export function transactionView(row: TransactionViewRow): TransactionView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    channel: row.channel,
    method: row.method,
    amount: BigInt(row.amount),
    currency: row.currency.trim(),
    fee: row.fee === null ? null : BigInt(row.fee),
    authorizationCode: row.authorization_code,
    settlement: row.settlement,
    settledAt: dateOrNull(row.settled_at),
    settlementReference: row.settlement_reference,
    requiresManualReconciliation: row.requires_manual_reconciliation,
    reconciledAt: dateOrNull(row.reconciled_at),
    reconciledBy: row.reconciled_by,
    failureCode: row.failure_code,
    failureMessage: row.failure_message,
    createdAt: new Date(row.created_at),
    customerId: row.customer_id,
    refundOfId: row.refund_of_id,
    cardBrand: row.card_brand,
    cardLast4: row.card_last4,
    updatedAt: new Date(row.updated_at),
  };
}
