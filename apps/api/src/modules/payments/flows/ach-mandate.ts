import type { AchMandate } from '../ledger/ledger.js';

/**
 * ACH: a bank debit needs the account holder's mandate. On the pay page the customer accepts it
 * online (the address and browser are kept as its record); for manual entry the merchant holds the
 * customer's signed authorization. The debit then stays PROCESSING until the bank settles it
 * (SUCCEEDED, settled) or returns it (RETURNED, days later, even after success): both arrive as
 * processor reports through the engine's recordOutcome.
 */
export const merchantHeldMandate: AchMandate = { type: 'offline' };

export function onlineMandate(ipAddress: string | null, userAgent: string | null): AchMandate {
  return { type: 'online', ipAddress: ipAddress ?? '127.0.0.1', userAgent: userAgent ?? 'unknown' };
}
