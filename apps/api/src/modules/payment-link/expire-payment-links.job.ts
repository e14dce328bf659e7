import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../kit/logger.js';
import type { PaymentLink } from './payment-link.entity.js';

export interface ExpireLinksDeps {
  findExpired(now: Date, limit: number): Promise<PaymentLink[]>;
  replace(invoiceId: string): Promise<unknown>;
  clock: Clock;
  logger: Logger;
}

const BATCH = 100;

/**
 * Finds links that expired unpaid and, invoice by invoice (each under its own row lock), retires
 * them and emails a new link when the invoice still needs paying.
 */
export async function expirePaymentLinks(deps: ExpireLinksDeps): Promise<number> {
  let handled = 0;
  for (;;) {
    const expired = await deps.findExpired(deps.clock.now(), BATCH);
    const invoiceIds = [...new Set(expired.map((link) => link.invoice.id))];
    for (const invoiceId of invoiceIds) await deps.replace(invoiceId);
    handled += invoiceIds.length;
    if (expired.length < BATCH) break;
  }
  if (handled) deps.logger.info({ invoices: handled }, 'expired payment links replaced');
  return handled;
}
