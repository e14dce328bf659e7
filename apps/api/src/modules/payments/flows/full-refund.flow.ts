import { DomainError, ErrorCode, notFound } from '../../../domain/errors.js';
import { TransactionKind, TransactionStatus } from '../../../domain/statuses.js';
import { isUuid } from '../../../domain/tokens.js';
import { claimRequest } from '../../idempotency/index.js';
import { lockInvoicesOfTransaction } from '../../invoice/index.js';
import type { MerchantActor } from '../../merchant/index.js';
import { type Allocation, type LedgerTransaction, lockCharges, type RefundFacts, readRefundBegin } from '../ledger/ledger.js';
import { chargeAnswer } from './charge.js';
import { currentTransaction, type FlowDeps } from './flow-deps.js';
import { assertNoOpenDispute, isLive, lostDisputes, newRefund, refundableOf, takenBackFrom } from './refund.js';

/** The charge's allocations less what live refunds already took back from each invoice, up to `amount`. */
function unrefundedAllocations(allocations: readonly Allocation[], refunds: readonly RefundFacts[], amount: bigint): Allocation[] {
  const result: Allocation[] = [];
  let left = amount;
  for (const allocation of allocations) {
    const available = allocation.amount - takenBackFrom(refunds, allocation.invoiceId);
    const share = available < left ? available : left;
    if (share > 0n) {
      result.push({ invoiceId: allocation.invoiceId, amount: share });
      left -= share;
    }
  }
  return result;
}

/**
 * Full refund from the transaction log: what is left of a succeeded charge goes back, over the
 * charge's own method. A second refund answers ALREADY_REFUNDED ("a refund has already been
 * issued"), without a processor call. The charge's invoices and then the charge are locked, so
 * concurrent refunds can never add up to more than was captured.
 */
export async function refundTransaction(
  deps: FlowDeps,
  actor: MerchantActor,
  chargeId: string,
  idempotencyKey: string,
): Promise<LedgerTransaction> {
  const claim = claimRequest(`merchant:${actor.merchantId}`, idempotencyKey, 'refundTransaction', { chargeId });
  if (!isUuid(chargeId)) throw notFound('transaction', 'id');
  const transactionKey = `refund:${idempotencyKey}:${chargeId}`;
  const outcome = await deps.engine.run({
    async begin(sql) {
      await lockInvoicesOfTransaction(sql, chargeId, actor.merchantId);
      const locked = await lockCharges(sql, actor.merchantId, [chargeId]);
      const facts = await readRefundBegin(sql, {
        chargeIds: locked,
        invoiceIds: [],
        claim,
        merchantId: actor.merchantId,
        transactionKeys: [transactionKey],
      });
      return {
        claim: { request: claim, row: facts.claim },
        existing: facts.existing,
        plan: () => {
          const found = facts.charges.get(chargeId);
          if (!found) throw notFound('transaction', 'id');
          const { charge, allocations, refunds, disputes } = found;
          if (charge.kind !== TransactionKind.CHARGE)
            throw new DomainError(ErrorCode.NOT_REFUNDABLE, `A ${charge.kind.toLowerCase()} cannot itself be refunded`, { field: 'id' });
          if (charge.status !== TransactionStatus.SUCCEEDED) {
            throw new DomainError(ErrorCode.NOT_REFUNDABLE, `Only a succeeded payment can be refunded; this one is ${charge.status}`, {
              field: 'id',
              status: charge.status,
            });
          }
          assertNoOpenDispute(charge, disputes);
          const remaining = refundableOf(charge, refunds, disputes);
          if (refunds.some((refund) => isLive(refund) && !refund.creditMemoId)) {
            throw new DomainError(ErrorCode.ALREADY_REFUNDED, 'A refund has already been issued for this payment');
          }
          if (remaining <= 0n && lostDisputes(disputes).length) {
            throw new DomainError(
              ErrorCode.NOT_REFUNDABLE,
              'This payment went back to the cardholder in a lost dispute: nothing is left to refund',
              {
                field: 'id',
              },
            );
          }
          if (remaining <= 0n) throw new DomainError(ErrorCode.ALREADY_REFUNDED, 'A refund has already been issued for this payment');
          const takenBack = [...refunds, ...lostDisputes(disputes)];
          return {
            transactions: [newRefund(charge, remaining, unrefundedAllocations(allocations, takenBack, remaining), transactionKey, null)],
          };
        },
      };
    },
    result: ([refund]) => refund.id,
  });
  return chargeAnswer(outcome, (id) => currentTransaction(deps, id));
}
