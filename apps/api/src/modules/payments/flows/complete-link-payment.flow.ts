import { badInput, DomainError, ErrorCode } from '../../../domain/errors.js';
import { hashToken, isUuid } from '../../../domain/tokens.js';
import { sessionOf } from '../../../kit/db/sql-session.js';
import { type LedgerTransaction, readLinkAttempt } from '../ledger/ledger.js';
import type { FlowDeps } from './flow-deps.js';

/**
 * The pay page, after its customer acted on what a payment waited for (3-D Secure in Stripe.js or
 * the sandbox's challenge): the attempt's state is read back from the processor and recorded, as a
 * webhook would. Safe to repeat and to race that webhook: one outcome, whoever records it. Only an
 * attempt made through this link can be completed through it.
 */
export async function completeLinkPayment(deps: FlowDeps, token: string, paymentId: string): Promise<LedgerTransaction> {
  const found = await readLinkAttempt(
    sessionOf(deps.em),
    hashToken(token),
    isUuid(paymentId) ? paymentId : '00000000-0000-0000-0000-000000000000',
  );
  if (!found) throw new DomainError(ErrorCode.NOT_FOUND, 'This payment link does not exist');
  // Not NOT_FOUND: the link is real (an unknown token is what the lookup limiter counts).
  if (!found.attempt) throw badInput('paymentId', 'No payment with that id was made through this link');
  return deps.engine.completeAction(found.attempt);
}
