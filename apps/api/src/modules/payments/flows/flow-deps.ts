import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../../domain/clock.js';
import { sessionOf } from '../../../kit/db/sql-session.js';
import type { MerchantProcessors } from '../../../processors/processor-account.port.js';
import type { ClaimRequest, ClaimRow, IdempotencyService } from '../../idempotency/index.js';
import type { PaymentsEngine } from '../engine/payments-engine.js';
import { type LedgerTransaction, readClaim, readTransactions } from '../ledger/ledger.js';

/** What every flow works with: the request's EntityManager, the engine, each merchant's processor (to describe tokens), the clock. */
export interface FlowDeps {
  em: EntityManager;
  engine: PaymentsEngine;
  processors: MerchantProcessors;
  clock: Clock;
  idempotency: IdempotencyService;
}

/** A transaction as it is now (the answer to a replayed key). */
export async function currentTransaction(deps: FlowDeps, id: string): Promise<LedgerTransaction> {
  const [transaction] = await readTransactions(sessionOf(deps.em), [id]);
  if (!transaction) throw new Error(`No transaction ${id}`);
  return transaction;
}

/**
 * The answer an earlier request with the same key stored, found before this one does any work of
 * its own (describing a card calls the processor): replays never depend on the processor.
 * Null: the key is this request's to use (phase 1 checks it again under its locks).
 */
export async function earlierAnswer(deps: FlowDeps, claim: ClaimRequest, row?: ClaimRow | null): Promise<LedgerTransaction | null> {
  const found = row !== undefined ? row : await readClaim(sessionOf(deps.em), claim.scope, claim.key);
  const replayed = await deps.engine.replayIfAnswered(claim, found);
  return replayed ? currentTransaction(deps, replayed) : null;
}
