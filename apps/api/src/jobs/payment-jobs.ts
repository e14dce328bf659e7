import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../domain/clock.js';
import { TransactionStatus } from '../domain/statuses.js';
import type { Logger } from '../logger.js';
import { Transaction } from '../modules/transaction/transaction.entity.js';

export interface RecoveryDeps {
  em: () => EntityManager;
  /** Asks the processor again about one transaction (a charge or a refund). */
  recover(transaction: Transaction): Promise<Transaction>;
  clock: Clock;
  logger: Logger;
  recoverAfterSeconds: number;
}

const BATCH = 100;

/**
 * Attempts left PENDING (a crash or a timeout between "recorded" and "answered") and payments still
 * PROCESSING (a missed webhook) are asked about again, with the same processor key.
 */
export async function recoverPayments(deps: RecoveryDeps): Promise<number> {
  const before = new Date(deps.clock.now().getTime() - deps.recoverAfterSeconds * 1000);
  const stuck = await deps.em().find(
    Transaction,
    { status: { $in: [TransactionStatus.PENDING, TransactionStatus.PROCESSING] }, updatedAt: { $lt: before } },
    { orderBy: { createdAt: 'asc' }, limit: BATCH },
  );
  let resolved = 0;
  for (const transaction of stuck) {
    try {
      const after = await deps.recover(transaction);
      if (after.status !== transaction.status) resolved++;
    } catch (error) {
      deps.logger.warn({ err: error, transactionId: transaction.id }, 'payment recovery failed; will try again');
    }
  }
  if (stuck.length) deps.logger.info({ examined: stuck.length, resolved }, 'payment recovery pass');
  return resolved;
}
