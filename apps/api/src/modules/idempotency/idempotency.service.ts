import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { DomainError, ErrorCode } from '../../domain/errors.js';
import { IdempotencyKey, IdempotencyState } from './idempotency-key.entity.js';

/** A stored outcome: the id of what the operation produced, or the coded error it answered. */
type StoredOutcome = { result: string } | { error: { code: ErrorCode; message: string; details: Record<string, unknown> } };

const KEY_PATTERN = /^[\x21-\x7e]{8,255}$/;
const WAIT_FOR_CONCURRENT_MS = 5_000;
/** An attempt still IN_PROGRESS after this long died with its process; the next retry takes it over. */
const STALE_AFTER_MS = 60_000;

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
    }
    return v;
  });
}

export function assertIdempotencyKey(key: string): void {
  if (!KEY_PATTERN.test(key)) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'idempotencyKey must be 8 to 255 printable characters (a UUID is ideal)', { field: 'idempotencyKey' });
  }
}

/**
 * A key held by one run() call. The operation may record its result inside its own last database
 * transaction, so that the effect and the key's outcome commit together and run() has nothing left
 * to write. An operation that calls recordIn() must let that transaction's failure propagate.
 */
export class IdempotencyClaim {
  /** The result written by recordIn(). */
  recorded: string | null = null;

  constructor(
    readonly scope: string,
    readonly key: string,
    private readonly clock: Clock,
  ) {}

  async recordIn(tx: EntityManager, result: string): Promise<void> {
    const outcome: StoredOutcome = { result };
    await tx.nativeUpdate(IdempotencyKey, { scope: this.scope, key: this.key, state: IdempotencyState.IN_PROGRESS }, { state: IdempotencyState.COMPLETED, response: outcome, completedAt: this.clock.now() });
    this.recorded = result;
  }
}

/**
 * Idempotency for money-moving mutations. Same scope + key + input replays the stored outcome
 * without running the operation again; same key with a different input is IDEMPOTENCY_KEY_REUSED;
 * a concurrent duplicate waits for the first to finish (or gets IDEMPOTENCY_KEY_IN_USE).
 *
 * The operation itself must also be idempotent by key (e.g. the transaction row carries the key
 * under a unique index), so that a retry after a crash between "done" and "recorded" is harmless.
 */
export class IdempotencyService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  async run(scope: string, key: string, operation: string, input: unknown, work: (claim: IdempotencyClaim) => Promise<string>): Promise<string> {
    assertIdempotencyKey(key);
    const requestHash = createHash('sha256').update(canonical({ operation, input })).digest('hex');
    const claimed = await this.claim(scope, key, operation, requestHash);
    if (!claimed) return this.replay(await this.awaitOutcome(scope, key, requestHash));

    const claim = new IdempotencyClaim(scope, key, this.clock);
    let outcome: StoredOutcome;
    try {
      const result = await work(claim);
      if (claim.recorded === result) return result;
      outcome = { result };
    } catch (error) {
      if (!(error instanceof DomainError) || error.retryable) {
        // The outcome is unknown (a crash, the database, the processor): free the key for a retry.
        await this.em.nativeDelete(IdempotencyKey, { scope, key, state: IdempotencyState.IN_PROGRESS });
        throw error;
      }
      outcome = { error: { code: error.code, message: error.message, details: error.details } };
    }
    await this.em.nativeUpdate(IdempotencyKey, { scope, key }, { state: IdempotencyState.COMPLETED, response: outcome, completedAt: this.clock.now() });
    return this.replay(outcome);
  }

  /** Inserts the key IN_PROGRESS; false when another request holds it (or held it). */
  private async claim(scope: string, key: string, operation: string, requestHash: string): Promise<boolean> {
    const now = this.clock.now();
    const inserted = await this.em.execute<{ id: string }[]>(
      `insert into idempotency_key (id, scope, key, operation, request_hash, state, created_at)
       values (gen_random_uuid(), ?, ?, ?, ?, 'IN_PROGRESS', ?)
       on conflict (scope, key) do nothing returning id`,
      [scope, key, operation, requestHash, now],
    );
    if (inserted.length) return true;
    const takenOver = await this.em.execute<{ id: string }[]>(
      `update idempotency_key set created_at = ? where scope = ? and key = ? and request_hash = ?
       and state = 'IN_PROGRESS' and created_at < ? returning id`,
      [now, scope, key, requestHash, new Date(now.getTime() - STALE_AFTER_MS)],
    );
    return takenOver.length > 0;
  }

  private async awaitOutcome(scope: string, key: string, requestHash: string): Promise<StoredOutcome> {
    const deadline = Date.now() + WAIT_FOR_CONCURRENT_MS;
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      const row = await this.em.fork().findOne(IdempotencyKey, { scope, key });
      if (row && row.requestHash !== requestHash) {
        throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotency key was already used with a different request', { field: 'idempotencyKey' });
      }
      if (row?.state === IdempotencyState.COMPLETED) return row.response as StoredOutcome;
      if (!row) {
        // The first attempt failed without an outcome and released the key: this one may proceed.
        throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_IN_USE, 'A request with this idempotency key failed just now; retry it', { field: 'idempotencyKey' });
      }
      if (Date.now() > deadline) {
        throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_IN_USE, 'A request with this idempotency key is still in progress; retry shortly', { field: 'idempotencyKey' });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private replay(outcome: StoredOutcome): string {
    if ('error' in outcome) throw new DomainError(outcome.error.code, outcome.error.message, outcome.error.details);
    return outcome.result;
  }
}
