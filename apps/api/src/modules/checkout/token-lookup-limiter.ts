import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DomainError, ErrorCode } from '../../domain/errors.js';

/**
 * Per-IP limit on public token lookups that find nothing (payment links, add-card links), against
 * guessing. Only misses are counted, so a customer opening their own link costs no write; an IP over
 * the limit is refused every lookup, found or not, so the limit itself tells a guesser nothing.
 * Counts live in PostgreSQL (every instance shares them); a block, once seen, is remembered here so
 * that refusing costs no query.
 */
export class TokenLookupLimiter {
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly misses: RateLimiterAbstract) {}

  async lookup<T>(ip: string | null, find: () => Promise<T | null>): Promise<T | null> {
    const key = ip ?? 'unknown';
    this.assertNotBlocked(key);
    const found = await find();
    if (found === null) await this.recordMiss(key);
    return found;
  }

  /** For mutations whose unknown token answers NOT_FOUND. */
  async guard<T>(ip: string | null, run: () => Promise<T>): Promise<T> {
    const key = ip ?? 'unknown';
    this.assertNotBlocked(key);
    try {
      return await run();
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.NOT_FOUND) await this.recordMiss(key);
      throw error;
    }
  }

  private assertNotBlocked(key: string): void {
    const until = this.blockedUntil.get(key);
    if (until === undefined) return;
    if (until > Date.now()) throw this.tooMany(until - Date.now());
    this.blockedUntil.delete(key);
  }

  private async recordMiss(key: string): Promise<void> {
    try {
      await this.misses.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        this.blockedUntil.set(key, Date.now() + rejection.msBeforeNext);
        throw this.tooMany(rejection.msBeforeNext);
      }
      throw rejection;
    }
  }

  private tooMany(ms: number): DomainError {
    const retryAfterSeconds = Math.ceil(ms / 1000);
    return new DomainError(ErrorCode.TOO_MANY_ATTEMPTS, `Too many unknown links from this address; try again in ${retryAfterSeconds} seconds`, { retryAfterSeconds });
  }
}
