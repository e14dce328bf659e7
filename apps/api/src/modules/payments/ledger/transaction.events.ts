import type { PaymentChannel, TransactionKind, TransactionStatus } from '../../../domain/statuses.js';
import type { DomainEvent } from '../../outbox/index.js';

/** What an event says of its transaction. */
export interface EventSubject {
  id: string;
  merchantId: string;
  kind: TransactionKind;
  status: TransactionStatus;
  amount: bigint;
  currency: string;
  channel: PaymentChannel;
}

/** A transaction's outbox event: what partners and pay pages follow, named by the invoices it touches. */
export function transactionEvent(
  transaction: EventSubject,
  type: string,
  invoiceIds: string[],
  extra: Record<string, unknown> = {},
): DomainEvent {
  return {
    merchantId: transaction.merchantId,
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
