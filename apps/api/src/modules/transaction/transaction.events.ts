import type { DomainEvent } from '../outbox/outbox.service.js';
import type { Transaction } from './transaction.entity.js';

/** A transaction's outbox event: what partners and pay pages follow, named by the invoices it touches. */
export function transactionEvent(transaction: Transaction, type: string, invoiceIds: string[], extra: Record<string, unknown> = {}): DomainEvent {
  return {
    merchantId: transaction.merchant.id,
    aggregateType: 'transaction',
    aggregateId: transaction.id,
    type,
    payload: {
      invoiceIds,
      kind: transaction.kind,
      status: transaction.status,
      amount: transaction.amount,
      currency: transaction.currency,
      channel: transaction.channel,
      ...extra,
    },
  };
}
