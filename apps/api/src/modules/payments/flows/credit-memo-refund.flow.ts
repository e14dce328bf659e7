import { DomainError, ErrorCode } from '../../../domain/errors.js';
import { TransactionStatus } from '../../../domain/statuses.js';
import { sessionOf } from '../../../kit/db/sql-session.js';
import { findCreditMemo, lockCreditMemo, markCreditMemoRefunded } from '../../credit-memo/index.js';
import { claimRequest } from '../../idempotency/index.js';
import { lockInvoices } from '../../invoice/index.js';
import type { MerchantActor } from '../../merchant/index.js';
import { lockInvoiceCharges, type NewTransaction, type RefundBeginFacts, readRefundBegin } from '../ledger/ledger.js';
import type { FlowDeps } from './flow-deps.js';
import { assertNoOpenDispute, lostDisputes, newRefund, refundableOf, takenBackFrom } from './refund.js';

const ON_THEIR_WAY = new Set([TransactionStatus.PENDING, TransactionStatus.PROCESSING]);

/** The memo's amount taken from the invoice's succeeded payments, newest first, over several if one is not enough. */
function spreadOverPayments(
  facts: RefundBeginFacts,
  invoiceId: string,
  amount: bigint,
  keyOf: (chargeId: string) => string,
  memoId: string,
): NewTransaction[] {
  const paid = [...facts.charges.values()]
    .filter(({ charge }) => charge.status === TransactionStatus.SUCCEEDED)
    .sort((a, b) => b.charge.createdAt.getTime() - a.charge.createdAt.getTime() || b.charge.id.localeCompare(a.charge.id));
  const refunds: NewTransaction[] = [];
  let left = amount;
  for (const { charge, allocations, refunds: earlier, disputes } of paid) {
    if (left === 0n) break;
    const allocated = allocations.find((a) => a.invoiceId === invoiceId)?.amount ?? 0n;
    const fromInvoice = allocated - takenBackFrom([...earlier, ...lostDisputes(disputes)], invoiceId);
    const chargeLeft = refundableOf(charge, earlier, disputes);
    const available = chargeLeft < fromInvoice ? chargeLeft : fromInvoice;
    const take = available < left ? available : left;
    if (take > 0n) {
      assertNoOpenDispute(charge, disputes);
      refunds.push(newRefund(charge, take, [{ invoiceId, amount: take }], keyOf(charge.id), memoId));
      left -= take;
    }
  }
  if (left > 0n) throw new DomainError(ErrorCode.NOTHING_TO_REFUND, "The invoice's payments do not have enough left to refund this memo");
  return refunds;
}

/**
 * The partial refund: a credit memo's amount goes back against the invoice's succeeded payments.
 * Only money paid beyond what is still owed can go back, so the refund never raises the amount due
 * (the credit and the refund cancel out). One refund per payment drawn on; the memo is marked
 * refunded with them, and reopened if every one of them fails at the processor.
 */
export async function issueCreditMemoRefund(deps: FlowDeps, actor: MerchantActor, memoId: string, idempotencyKey: string): Promise<string> {
  const claim = claimRequest(`merchant:${actor.merchantId}`, idempotencyKey, 'issueCreditMemoRefund', { memoId });
  const keyOf = (chargeId: string) => `memo:${idempotencyKey}:${chargeId}`;
  const outcome = await deps.engine.run({
    async begin(sql, now) {
      const { invoiceId } = await findCreditMemo(sql, actor.merchantId, memoId);
      const [invoice] = await lockInvoices(sql, actor.merchantId, [invoiceId], 'creditMemoId');
      const memo = await lockCreditMemo(sql, memoId);
      const chargeIds = await lockInvoiceCharges(sql, invoice.id);
      const facts = await readRefundBegin(sql, {
        chargeIds,
        invoiceIds: [invoice.id],
        claim,
        merchantId: actor.merchantId,
        transactionKeys: chargeIds.map(keyOf),
      });
      return {
        claim: { request: claim, row: facts.claim },
        existing: facts.existing,
        plan: () => {
          if (memo.refundIssuedAt)
            throw new DomainError(ErrorCode.ALREADY_REFUNDED, 'A refund has already been issued for this credit memo');
          const { amounts } = facts.invoices.get(invoice.id)!;
          const pendingBack = [...facts.charges.values()].reduce(
            (sum, { refunds }) => sum + takenBackFrom(refunds, invoice.id, ON_THEIR_WAY),
            0n,
          );
          const overpaid = amounts.paid - pendingBack + amounts.credited - amounts.total;
          if (memo.amount > overpaid) {
            throw new DomainError(
              ErrorCode.NOTHING_TO_REFUND,
              'The invoice has not been paid beyond what it still owes: this memo stands as a credit',
              {
                refundable: (overpaid > 0n ? overpaid : 0n).toString(),
              },
            );
          }
          return {
            transactions: spreadOverPayments(facts, invoice.id, memo.amount, keyOf, memo.id),
            afterRecorded: (session) => markCreditMemoRefunded(session, memo.id, now),
          };
        },
      };
    },
    result: () => memoId,
  });
  if (
    outcome.kind === 'completed' &&
    outcome.transactions.every((r) => r.status === TransactionStatus.FAILED || r.status === TransactionStatus.CANCELED)
  ) {
    await markCreditMemoRefunded(sessionOf(deps.em.fork()), memoId, null);
  }
  return outcome.result;
}
