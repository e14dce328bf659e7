import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { TransactionKind, TransactionStatus } from '../../domain/statuses.js';
import type { Logger } from '../../kit/logger.js';
import { type LedgerTransaction, Transaction } from '../../modules/payments/index.js';

export interface RecoveryDeps {
  em: () => EntityManager;
  /** Asks the processor again about one transaction (a charge or a refund). */
  recover(transactionId: string): Promise<LedgerTransaction>;
  /** Cancels, at the processor, an attempt whose customer never acted (3-D Secure, micro-deposits). */
  cancelAbandoned(transactionId: string): Promise<LedgerTransaction>;
  clock: Clock;
  logger: Logger;
  recoverAfterSeconds: number;
  /** An attempt waiting for its customer longer than this is abandoned. */
  abandonAfterSeconds: number;
}

const BATCH = 100;

/**
 * Micro-deposits take a day or two to reach the customer's account, and Stripe gives the customer
 * ten days to verify them: an attempt waiting for them is abandoned only after that.
 */
export const MICRODEPOSITS_ABANDONED_AFTER_SECONDS = 10 * 86_400;

/**
 * Attempts left PENDING (a crash or a timeout between "recorded" and "answered") and payments still
 * PROCESSING (a missed webhook) are asked about again, with the same processor key. Attempts that
 * waited for their customer's action past the setting are canceled, so that they never capture.
 */
export async function recoverPayments(deps: RecoveryDeps): Promise<number> {
  const now = deps.clock.now().getTime();
  const ofKinds = { kind: { $in: [TransactionKind.CHARGE, TransactionKind.REFUND] } };
  const stuck = await deps.em().find(
    Transaction,
    {
      ...ofKinds,
      status: { $in: [TransactionStatus.PENDING, TransactionStatus.PROCESSING] },
      updatedAt: { $lt: new Date(now - deps.recoverAfterSeconds * 1000) },
    },
    { orderBy: { createdAt: 'asc' }, limit: BATCH },
  );
  const abandoned = await deps.em().find(
    Transaction,
    {
      ...ofKinds,
      status: TransactionStatus.REQUIRES_ACTION,
      $or: [
        {
          nextAction: { type: { $ne: 'VERIFY_MICRODEPOSITS' } },
          updatedAt: { $lt: new Date(now - deps.abandonAfterSeconds * 1000) },
        },
        { updatedAt: { $lt: new Date(now - Math.max(deps.abandonAfterSeconds, MICRODEPOSITS_ABANDONED_AFTER_SECONDS) * 1000) } },
      ],
    },
    { orderBy: { createdAt: 'asc' }, limit: BATCH },
  );
  let resolved = 0;
  const pass = async (transactions: Transaction[], step: (id: string) => Promise<LedgerTransaction>) => {
    for (const transaction of transactions) {
      try {
        if ((await step(transaction.id)).status !== transaction.status) resolved++;
      } catch (error) {
        deps.logger.warn({ err: error, transactionId: transaction.id }, 'payment recovery failed; will try again');
      }
    }
  };
  await pass(stuck, deps.recover);
  await pass(abandoned, deps.cancelAbandoned);
  if (stuck.length || abandoned.length)
    deps.logger.info({ examined: stuck.length, abandoned: abandoned.length, resolved }, 'payment recovery pass');
  return resolved;
}
