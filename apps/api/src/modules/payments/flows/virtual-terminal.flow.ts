import { badInput, notFound } from '../../../domain/errors.js';
import { assertCurrency } from '../../../domain/money.js';
import { PaymentChannel } from '../../../domain/statuses.js';
import { isUuid } from '../../../domain/tokens.js';
import { claimRequest } from '../../idempotency/index.js';
import type { MerchantActor } from '../../merchant/index.js';
import { type LedgerTransaction, readChargeBegin } from '../ledger/ledger.js';
import { merchantHeldMandate } from './ach-mandate.js';
import { chargeAnswer, chargeBegun, describePaymentMethod, type Instrument, newCharge } from './charge.js';
import { currentTransaction, earlierAnswer, type FlowDeps } from './flow-deps.js';
import { vaultedCardInstrument } from './vaulted-card.flow.js';

export interface VirtualTerminalInput {
  amount: bigint;
  currency: string;
  description: string;
  customerId?: string | null;
  paymentMethodToken?: string | null;
  vaultedCardId?: string | null;
}

/**
 * The virtual terminal: a payment tied to no invoice. It never counts as an invoice payment, does
 * not pass to accounting, and is flagged for manual reconciliation (the transaction log is where it
 * is reconciled). With no invoices there is nothing to lock: phase 1 is one read and one write.
 */
export async function virtualTerminalCharge(
  deps: FlowDeps,
  actor: MerchantActor,
  input: VirtualTerminalInput,
  idempotencyKey: string,
): Promise<LedgerTransaction> {
  if (input.amount <= 0n) throw badInput('amount', 'amount must be above zero');
  const currency = assertCurrency(input.currency);
  const description = input.description.trim();
  if (!description) throw badInput('description', 'description must not be empty');
  if (Boolean(input.paymentMethodToken) === Boolean(input.vaultedCardId))
    throw badInput('paymentMethodToken', 'Give exactly one of paymentMethodToken and vaultedCardId');
  if (input.customerId && !isUuid(input.customerId)) throw notFound('customer', 'customerId');
  // A saved card is charged for its customer only.
  if (input.vaultedCardId && !input.customerId) throw notFound("card in this customer's vault", 'vaultedCardId');
  const claim = claimRequest(`merchant:${actor.merchantId}`, idempotencyKey, 'virtualTerminalCharge', input);
  const earlier = await earlierAnswer(deps, claim);
  if (earlier) return earlier;
  const instrument: Instrument = input.vaultedCardId
    ? await vaultedCardInstrument(deps, actor.merchantId, input.customerId!, input.vaultedCardId)
    : {
        kind: 'token',
        paymentMethod: await describePaymentMethod(await deps.processors.of(actor.merchantId), input.paymentMethodToken!),
        customerReference: null,
      };
  const customerId = input.customerId ?? null;
  const outcome = await deps.engine.run({
    async begin(sql) {
      const facts = await readChargeBegin(sql, {
        invoiceIds: [],
        linkId: null,
        claim,
        merchantId: actor.merchantId,
        transactionKey: idempotencyKey,
        customerId,
      });
      return chargeBegun(claim, facts, () => {
        if (customerId && !facts.customerId) throw notFound('customer', 'customerId');
        return newCharge(
          {
            merchantId: actor.merchantId,
            channel: PaymentChannel.VIRTUAL_TERMINAL,
            instrument,
            description,
            requiresManualReconciliation: true,
            mandate: merchantHeldMandate,
            transactionKey: idempotencyKey,
          },
          { customerId, currency, amount: input.amount, allocations: [] },
        );
      });
    },
    result: ([transaction]) => transaction.id,
  });
  return chargeAnswer(outcome, (id) => currentTransaction(deps, id));
}
