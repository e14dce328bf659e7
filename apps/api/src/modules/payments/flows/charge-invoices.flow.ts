import { badInput, notFound } from '../../../domain/errors.js';
import { PaymentChannel } from '../../../domain/statuses.js';
import { isUuid } from '../../../domain/tokens.js';
import { sessionOf } from '../../../kit/db/sql-session.js';
import { claimRequest } from '../../idempotency/index.js';
import { lockInvoices } from '../../invoice/index.js';
import type { MerchantActor } from '../../merchant/index.js';
import { type LedgerTransaction, readChargeBegin, readMerchantClaim } from '../ledger/ledger.js';
import { merchantHeldMandate } from './ach-mandate.js';
import {
  allocate,
  chargeAnswer,
  chargeBegun,
  describePaymentMethod,
  type Instrument,
  MAX_INVOICES_PER_PAYMENT,
  newCharge,
} from './charge.js';
import { currentTransaction, earlierAnswer, type FlowDeps } from './flow-deps.js';
import { vaultedCardInstrument } from './vaulted-card.flow.js';

export interface ChargeInvoicesInput {
  customerId: string;
  invoiceIds: string[];
  allocations?: { invoiceId: string; amount: bigint }[] | null;
  paymentMethodToken?: string | null;
  vaultedCardId?: string | null;
}

function validate(input: ChargeInvoicesInput): string[] {
  const invoiceIds = [...new Set(input.invoiceIds)];
  if (!invoiceIds.length) throw badInput('invoiceIds', 'Name at least one invoice');
  if (invoiceIds.length > MAX_INVOICES_PER_PAYMENT)
    throw badInput('invoiceIds', `At most ${MAX_INVOICES_PER_PAYMENT} invoices per payment`);
  if (Boolean(input.paymentMethodToken) === Boolean(input.vaultedCardId)) {
    throw badInput('paymentMethodToken', 'Give exactly one of paymentMethodToken and vaultedCardId');
  }
  if (input.allocations) {
    const named = new Set(input.allocations.map((a) => a.invoiceId));
    if (named.size !== input.allocations.length || named.size !== invoiceIds.length || invoiceIds.some((id) => !named.has(id))) {
      throw badInput('allocations', 'allocations must name each invoice of invoiceIds exactly once');
    }
    input.allocations.forEach((a, index) => {
      if (a.amount <= 0n) throw badInput(`allocations.${index}.amount`, 'amount must be above zero');
    });
  }
  return invoiceIds;
}

/**
 * Manual entry and "Pay Invoices": one payment across open invoices of one customer, oldest first
 * (or split as given), with a card keyed in by staff (tokenised in the browser) or one from the
 * customer's vault. Phase 1: the invoices' locks, one read (amounts, the customer, the key, an
 * earlier try), one write.
 */
export async function chargeInvoices(
  deps: FlowDeps,
  actor: MerchantActor,
  input: ChargeInvoicesInput,
  idempotencyKey: string,
): Promise<LedgerTransaction> {
  const invoiceIds = validate(input);
  const claim = claimRequest(`merchant:${actor.merchantId}`, idempotencyKey, 'chargeInvoices', input);
  if (!isUuid(input.customerId)) throw notFound('customer', 'customerId');
  // One read: the key's earlier answer, and the merchant's processor account (no statement of its own on this hot path).
  const { claim: row, account } = await readMerchantClaim(sessionOf(deps.em), actor.merchantId, claim.scope, claim.key);
  if (account) deps.processors.remember(actor.merchantId, account);
  const earlier = await earlierAnswer(deps, claim, row);
  if (earlier) return earlier;
  await deps.processors.ready(actor.merchantId);
  const instrument: Instrument = input.vaultedCardId
    ? await vaultedCardInstrument(deps, actor.merchantId, input.customerId, input.vaultedCardId)
    : {
        kind: 'token',
        paymentMethod: await describePaymentMethod(await deps.processors.of(actor.merchantId), input.paymentMethodToken!),
        customerReference: null,
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
        customerId: input.customerId,
      });
      return chargeBegun(claim, facts, () => {
        if (!facts.customerId) throw notFound('customer', 'customerId');
        if (invoices.some((invoice) => invoice.customerId !== facts.customerId)) throw notFound('invoice of this customer', 'invoiceIds');
        const plan = allocate(invoices, facts.invoices, input.allocations ?? null, null);
        return newCharge(
          {
            merchantId: actor.merchantId,
            channel: input.vaultedCardId ? PaymentChannel.VAULT : PaymentChannel.MANUAL_ENTRY,
            instrument,
            description: null,
            requiresManualReconciliation: false,
            mandate: merchantHeldMandate,
            transactionKey: idempotencyKey,
          },
          { ...plan, customerId: facts.customerId },
        );
      });
    },
    result: ([transaction]) => transaction.id,
  });
  return chargeAnswer(outcome, (id) => currentTransaction(deps, id));
}
