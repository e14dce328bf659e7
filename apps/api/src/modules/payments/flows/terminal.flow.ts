import { badInput, notFound } from '../../../domain/errors.js';
import { assertCurrency } from '../../../domain/money.js';
import { PaymentChannel } from '../../../domain/statuses.js';
import { isUuid } from '../../../domain/tokens.js';
import { claimRequest } from '../../idempotency/index.js';
import { lockInvoices } from '../../invoice/index.js';
import type { MerchantActor } from '../../merchant/index.js';
import { TerminalReader } from '../../terminal/index.js';
import { type LedgerTransaction, readChargeBegin } from '../ledger/ledger.js';
import { allocate, type ChargeDraft, chargeAnswer, chargeBegun, newCharge } from './charge.js';
import { currentTransaction, type FlowDeps } from './flow-deps.js';

export interface TerminalPaymentInput {
  readerId: string;
  invoiceIds?: string[] | null;
  amount?: bigint | null;
  currency?: string | null;
}

/**
 * Card-present, on a registered reader (server-driven, like Stripe Terminal): the payment stays
 * PROCESSING until a card is presented, and its outcome arrives as a processor report. With
 * invoices, it pays them oldest first (all they have due, or up to `amount`); without, it is tied
 * to no invoice and flagged for manual reconciliation.
 */
export async function collectTerminalPayment(
  deps: FlowDeps,
  actor: MerchantActor,
  input: TerminalPaymentInput,
  idempotencyKey: string,
): Promise<LedgerTransaction> {
  if (input.amount !== null && input.amount !== undefined && input.amount <= 0n) throw badInput('amount', 'amount must be above zero');
  const invoiceIds = [...new Set(input.invoiceIds ?? [])];
  if (!invoiceIds.length && !input.amount) throw badInput('amount', 'Without invoices, give the amount to collect');
  const currency = invoiceIds.length ? null : assertCurrency(input.currency ?? 'USD');
  const claim = claimRequest(`merchant:${actor.merchantId}`, idempotencyKey, 'collectTerminalPayment', input);
  const reader = isUuid(input.readerId) ? await deps.em.findOne(TerminalReader, { id: input.readerId, merchant: actor.merchantId }) : null;
  if (!reader) throw notFound('terminal reader', 'readerId');
  const draft: ChargeDraft = {
    merchantId: actor.merchantId,
    channel: PaymentChannel.TERMINAL,
    instrument: { kind: 'reader', readerReference: reader.processorReference },
    description: null,
    requiresManualReconciliation: invoiceIds.length === 0,
    mandate: null,
    transactionKey: idempotencyKey,
  };
  const outcome = await deps.engine.run({
    async begin(sql) {
      const invoices = await lockInvoices(sql, actor.merchantId, invoiceIds);
      const facts = await readChargeBegin(sql, {
        invoiceIds,
        linkId: null,
        claim,
        merchantId: actor.merchantId,
        transactionKey: idempotencyKey,
        customerId: null,
      });
      return chargeBegun(claim, facts, () => {
        if (!invoices.length) return newCharge(draft, { customerId: null, currency: currency!, amount: input.amount!, allocations: [] });
        const customerId = invoices[0].customerId;
        if (invoices.some((invoice) => invoice.customerId !== customerId))
          throw badInput('invoiceIds', 'All invoices of one payment must belong to one customer');
        return newCharge(draft, { ...allocate(invoices, facts.invoices, null, input.amount ?? null), customerId });
      });
    },
    result: ([transaction]) => transaction.id,
  });
  return chargeAnswer(outcome, (id) => currentTransaction(deps, id));
}
