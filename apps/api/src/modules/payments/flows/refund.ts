import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode } from '../../../domain/errors.js';
import { SettlementState, TransactionKind, TransactionStatus } from '../../../domain/statuses.js';
import type { Allocation, LedgerTransaction, NewTransaction, RefundFacts } from '../ledger/ledger.js';

/** Refunds that still hold money back: a failed or canceled one gives its amount back. */
const LIVE = new Set([TransactionStatus.PENDING, TransactionStatus.PROCESSING, TransactionStatus.SUCCEEDED]);

export const isLive = (refund: RefundFacts) => LIVE.has(refund.status);

/**
 * What is left of a charge to refund: its amount less its live refunds (a PENDING refund already
 * holds its amount) and its lost disputes (that money went back to the cardholder already).
 */
export function refundableOf(charge: LedgerTransaction, refunds: readonly RefundFacts[], disputes: readonly RefundFacts[] = []): bigint {
  return charge.amount - [...refunds.filter(isLive), ...lostDisputes(disputes)].reduce((sum, r) => sum + r.amount, 0n);
}

/** A charge's disputes that were lost (their DISPUTE transactions SUCCEEDED). */
export const lostDisputes = (disputes: readonly RefundFacts[]) => disputes.filter((d) => d.status === TransactionStatus.SUCCEEDED);

/** While a dispute is open (its transaction PENDING) the card network decides where the money goes: no refund may. */
export function assertNoOpenDispute(charge: LedgerTransaction, disputes: readonly RefundFacts[]): void {
  if (disputes.some((d) => d.status === TransactionStatus.PENDING)) {
    throw new DomainError(
      ErrorCode.CHARGE_DISPUTED,
      'This payment is disputed by the cardholder: it cannot be refunded while the dispute is open',
      { field: 'id', transactionId: charge.id },
    );
  }
}

/** What live refunds of a charge already took back from one invoice. */
export function takenBackFrom(refunds: readonly RefundFacts[], invoiceId: string, statuses: ReadonlySet<TransactionStatus> = LIVE): bigint {
  return refunds
    .filter((r) => statuses.has(r.status))
    .flatMap((r) => r.allocations)
    .filter((a) => a.invoiceId === invoiceId)
    .reduce((sum, a) => sum + a.amount, 0n);
}

/**
 * A refund of `charge`, PENDING: it returns money over the same method and channel, and is flagged
 * for manual reconciliation (DESIGN.md: refunds are reconciled by hand, card and ACH alike).
 */
export function newRefund(
  charge: LedgerTransaction,
  amount: bigint,
  allocations: Allocation[],
  transactionKey: string,
  creditMemoId: string | null,
): NewTransaction {
  return {
    id: randomUUID(),
    merchantId: charge.merchantId,
    customerId: charge.customerId,
    kind: TransactionKind.REFUND,
    status: TransactionStatus.PENDING,
    channel: charge.channel,
    method: charge.method,
    amount,
    currency: charge.currency,
    refundOfId: charge.id,
    creditMemoId,
    cardBrand: charge.cardBrand,
    cardLast4: charge.cardLast4,
    transactionKey,
    requiresManualReconciliation: true,
    settlement: SettlementState.PENDING,
    allocations,
  };
}
