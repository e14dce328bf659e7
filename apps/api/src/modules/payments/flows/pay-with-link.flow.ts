import { DomainError, ErrorCode } from '../../../domain/errors.js';
import { publicLinkStatus } from '../../../domain/invoice-amounts.js';
import { PaymentChannel } from '../../../domain/statuses.js';
import { hashToken } from '../../../domain/tokens.js';
import { sessionOf } from '../../../kit/db/sql-session.js';
import { assertIdempotencyKey, claimRequest } from '../../idempotency/index.js';
import { lockInvoiceOfLink, payableThroughLinkOrRefuse } from '../../invoice/index.js';
import { type AchMandate, type LedgerTransaction, readChargeBegin, readLinkClaim } from '../ledger/ledger.js';
import { chargeAnswer, chargeBegun, describePaymentMethod, newCharge } from './charge.js';
import { currentTransaction, earlierAnswer, type FlowDeps } from './flow-deps.js';

export interface PayWithLinkInput {
  token: string;
  paymentMethodToken: string;
  idempotencyKey: string;
  /** For a bank debit: the customer accepted it on the pay page, from this address and browser. */
  mandate: AchMandate;
}

/**
 * The hosted checkout: the customer pays the invoice's current amount due with a tokenised card or
 * bank account. One read finds the link and an earlier request's key; phase 1 takes the invoice's
 * lock (found by the link's token), one read (the link, the amounts, the key, an earlier try) and
 * one write (the key, the attempt, its allocation and event) between BEGIN and COMMIT.
 */
export async function payWithLink(deps: FlowDeps, input: PayWithLinkInput): Promise<LedgerTransaction> {
  assertIdempotencyKey(input.idempotencyKey);
  const tokenHash = hashToken(input.token);
  const link = await readLinkClaim(sessionOf(deps.em), tokenHash, input.idempotencyKey);
  if (!link) throw new DomainError(ErrorCode.NOT_FOUND, 'This payment link does not exist');
  const claim = claimRequest(`link:${link.linkId}`, input.idempotencyKey, 'payWithLink', { paymentMethodToken: input.paymentMethodToken });
  const earlier = await earlierAnswer(deps, claim, link.claim);
  if (earlier) return earlier;
  // The merchant's account came with the link's read: no statement of its own on this hot path.
  if (link.account) deps.processors.remember(link.merchantId, link.account);
  const processor = await deps.processors.ready(link.merchantId);
  const paymentMethod = await describePaymentMethod(processor, input.paymentMethodToken);
  const outcome = await deps.engine.run({
    async begin(sql, now) {
      const found = await lockInvoiceOfLink(sql, tokenHash);
      if (!found) throw new DomainError(ErrorCode.NOT_FOUND, 'This payment link does not exist');
      const { invoice, linkId } = found;
      const transactionKey = `link:${linkId}:${input.idempotencyKey}`;
      const facts = await readChargeBegin(sql, {
        invoiceIds: [invoice.id],
        linkId,
        claim,
        merchantId: invoice.merchantId,
        transactionKey,
        customerId: null,
      });
      return chargeBegun(claim, facts, () => {
        const { amounts } = facts.invoices.get(invoice.id)!;
        // Read under the invoice's lock: a resend or the expiry job may have retired the link meanwhile.
        const status = publicLinkStatus({
          invoiceStatus: invoice.status,
          storedStatus: facts.link!.status,
          expiresAt: facts.link!.expiresAt,
          amounts,
          now,
        });
        const amount = payableThroughLinkOrRefuse(status, amounts, facts.link!.newerLinkSent);
        return newCharge(
          {
            merchantId: invoice.merchantId,
            channel: PaymentChannel.PAYMENT_LINK,
            instrument: { kind: 'token', paymentMethod, customerReference: null },
            description: null,
            requiresManualReconciliation: false,
            mandate: input.mandate,
            transactionKey,
          },
          { customerId: invoice.customerId, currency: invoice.currency, amount, allocations: [{ invoiceId: invoice.id, amount }] },
        );
      });
    },
    result: ([transaction]) => transaction.id,
  });
  return chargeAnswer(outcome, (id) => currentTransaction(deps, id));
}
