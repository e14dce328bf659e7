import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { DomainError, ErrorCode } from '../../domain/errors.js';
import { IdempotencyKey, IdempotencyState } from './idempotency-key.entity.js';

/** A stored outcome: the id of what the operation produced, or the coded error it answered. */
export type StoredOutcome = { result: string } | { error: { code: ErrorCode; message: string; details: Record<string, unknown> } };

const KEY_PATTERN = /^[\x21-\x7e]{8,255}$/;
const WAIT_FOR_CONCURRENT_MS = 5_000;
/** A claim still IN_PROGRESS after this long died with its process; the next retry takes it over. */
export const CLAIM_STALE_AFTER_MS = 60_000;

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
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'idempotencyKey must be 8 to 255 printable characters (a UUID is ideal)', {
      field: 'idempotencyKey',
    });
  }
}

/**
 * A money-moving request's idempotency key: same scope + key + input replays the stored outcome
 * without running the operation again; same key with another input is IDEMPOTENCY_KEY_REUSED; a
 * concurrent duplicate waits for the first to finish (or gets IDEMPOTENCY_KEY_IN_USE).
 */
export interface ClaimRequest {
  /** A merchant (`merchant:<id>`) or, on the public checkout, a payment link (`link:<id>`). */
  scope: string;
  key: string;
  operation: string;
  requestHash: string;
}

export function claimRequest(scope: string, key: string, operation: string, input: unknown): ClaimRequest {
  assertIdempotencyKey(key);
  return { scope, key, operation, requestHash: createHash('sha256').update(canonical({ operation, input })).digest('hex') };
}

/** The key's row as a request finds it, read under the locks of the operation (see the payments ledger). */
export interface ClaimRow {
  state: IdempotencyState;
  requestHash: string;
  response: StoredOutcome | null;
  createdAt: Date;
}

/**
 * What a request does about the key it brings: claim it (no row yet, or one whose request died),
 * replay the stored outcome, or wait for the request that holds it.
 */
export function claimDecision(row: ClaimRow | null, request: ClaimRequest, now: Date): 'claim' | 'replay' | 'wait' {
  if (!row) return 'claim';
  if (row.requestHash !== request.requestHash) {
    throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotency key was already used with a different request', {
      field: 'idempotencyKey',
    });
  }
  if (row.state === IdempotencyState.COMPLETED) return 'replay';
  return now.getTime() - row.createdAt.getTime() > CLAIM_STALE_AFTER_MS ? 'claim' : 'wait';
}

/**
 * The claim, as a statement to run in the caller's transaction (a CTE `claim` returning `id`):
 * a new key, or a takeover of the same request's key whose holder died. Parameters: scope, key,
 * operation, request hash, now, and the moment before which an IN_PROGRESS claim is stale.
 */
export const CLAIM_SQL = `insert into idempotency_key (id, scope, key, operation, request_hash, state, created_at)
  values (gen_random_uuid(), ?, ?, ?, ?, 'IN_PROGRESS', ?)
  on conflict (scope, key) do update set created_at = excluded.created_at
    where idempotency_key.state = 'IN_PROGRESS' and idempotency_key.request_hash = excluded.request_hash and idempotency_key.created_at < ?
  returning id`;

export const claimParams = (request: ClaimRequest, now: Date) => [
  request.scope,
  request.key,
  request.operation,
  request.requestHash,
  now,
  new Date(now.getTime() - CLAIM_STALE_AFTER_MS),
];

/**
 * Completes a claim with its outcome, in the caller's transaction (so that the effect and the key's
 * outcome commit together). Parameters: the outcome (JSON), now, scope, key; a null scope completes nothing.
 */
export const COMPLETE_CLAIM_SQL = `update idempotency_key set state = 'COMPLETED', response = ?::jsonb, completed_at = ?
  where scope = ? and key = ? and state = 'IN_PROGRESS'`;

export const completeClaimParams = (request: ClaimRequest | null, result: string | null, now: Date) => [
  request && result ? JSON.stringify({ result } satisfies StoredOutcome) : null,
  now,
  request?.scope ?? null,
  request?.key ?? null,
];

export function replay(outcome: StoredOutcome): string {
  if ('error' in outcome) throw new DomainError(outcome.error.code, outcome.error.message, outcome.error.details);
  return outcome.result;
}

/** The key's life outside the operation's own transactions: waiting for another holder, refusals, releases. */
export class IdempotencyService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  /** Waits for the request that holds the key to finish, then replays its outcome. */
  async awaitOutcome(request: ClaimRequest): Promise<string> {
    const deadline = Date.now() + WAIT_FOR_CONCURRENT_MS;
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      const row = await this.em.fork().findOne(IdempotencyKey, { scope: request.scope, key: request.key });
      if (row && row.requestHash !== request.requestHash) {
        throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotency key was already used with a different request', {
          field: 'idempotencyKey',
        });
      }
      if (row?.state === IdempotencyState.COMPLETED) return replay(row.response as StoredOutcome);
      if (!row) {
        // The other request failed without an outcome and released the key: this one may proceed.
        throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_IN_USE, 'A request with this idempotency key failed just now; retry it', {
          field: 'idempotencyKey',
        });
      }
      if (Date.now() > deadline) {
        throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_IN_USE, 'A request with this idempotency key is still in progress; retry shortly', {
          field: 'idempotencyKey',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /**
   * The operation refused the request (a coded error, nothing changed): that is its outcome, for
   * every replay of the key. Answers the error of whoever completed the key first.
   */
  async storeRefusal(request: ClaimRequest, error: DomainError): Promise<never> {
    const outcome: StoredOutcome = { error: { code: error.code, message: error.message, details: error.details } };
    const inserted = await this.em.fork().execute<{ id: string }[]>(
      `insert into idempotency_key (id, scope, key, operation, request_hash, state, response, created_at, completed_at)
       values (gen_random_uuid(), ?, ?, ?, ?, 'COMPLETED', ?::jsonb, ?, ?)
       on conflict (scope, key) do nothing returning id`,
      [request.scope, request.key, request.operation, request.requestHash, JSON.stringify(outcome), this.clock.now(), this.clock.now()],
    );
    if (!inserted.length) return replay(await this.storedOutcome(request)) as never;
    throw error;
  }

  /** Completes a claim whose operation recorded its effect in several transactions (refunds spread over payments). */
  async complete(request: ClaimRequest, result: string): Promise<void> {
    await this.em.fork().execute(COMPLETE_CLAIM_SQL, completeClaimParams(request, result, this.clock.now()));
  }

  /** The outcome is unknown (a crash, the database, the processor): frees the key for a retry. */
  async release(request: ClaimRequest): Promise<void> {
    await this.em.fork().nativeDelete(IdempotencyKey, { scope: request.scope, key: request.key, state: IdempotencyState.IN_PROGRESS });
  }

  private async storedOutcome(request: ClaimRequest): Promise<StoredOutcome> {
    const row = await this.em.fork().findOneOrFail(IdempotencyKey, { scope: request.scope, key: request.key });
    if (row.requestHash !== request.requestHash) {
      throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotency key was already used with a different request', {
        field: 'idempotencyKey',
      });
    }
    if (row.state !== IdempotencyState.COMPLETED) return this.awaitOutcome(request).then((result) => ({ result }));
    return row.response as StoredOutcome;
  }
}
