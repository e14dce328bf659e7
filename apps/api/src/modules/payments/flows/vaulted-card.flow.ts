import { findChargeableCard } from '../../vault/index.js';
import type { Instrument } from './charge.js';
import { describePaymentMethod } from './charge.js';
import type { FlowDeps } from './flow-deps.js';

/**
 * Charging a card saved in the customer's vault: the charge is made with the saved payment method,
 * on the processor customer it is attached to, so the processor refuses it for anyone else. Used by
 * "Pay Invoices" (channel VAULT) and the virtual terminal.
 */
export async function vaultedCardInstrument(
  deps: FlowDeps,
  merchantId: string,
  customerId: string,
  vaultedCardId: string,
): Promise<Instrument> {
  const card = await findChargeableCard(deps.em, merchantId, customerId, vaultedCardId);
  const paymentMethod = await describePaymentMethod(await deps.processors.of(merchantId), card.processorPaymentMethodId, 'vaultedCardId');
  return { kind: 'token', paymentMethod, customerReference: card.processorCustomerId };
}
