import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { limitKeyOf } from '../../domain/address-limit-key.js';
import { DomainError, ErrorCode } from '../../domain/errors.js';

/**
 * Per-address limit on public token lookups that find nothing (payment links, add-card links), against
 * guessing. Only misses are counted and only misses are refused: a valid token always answers, even
 * from an address over its limit, so a guesser sharing a customer's address (behind the same NAT,
 * or a proxy the API was not told to trust) can never keep that customer from paying. Tokens carry
 * 256 random bits: what the limit bounds is the cost and noise of guessing, not its odds.
 *
 * Addresses are grouped as limitKeyOf says (an IPv6 /64 is one address). Counts live in PostgreSQL
 * (every instance shares them); a block, once seen, is remembered here so that refusing costs no write.
 */
export class TokenLookupLimiter {
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly misses: RateLimiterAbstract) {}

  async lookup<T>(ip: string | null, find: () => Promise<T | null>): Promise<T | null> {
    const found = await find();
    if (found === null) await this.miss(limitKeyOf(ip));
    return found;
  }

  /** For operations whose unknown token answers NOT_FOUND (mutations, the pay page's live status). */
  async guard<T>(ip: string | null, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.NOT_FOUND) await this.miss(limitKeyOf(ip));
      throw error;
    }
  }

  /** Counts a miss, or refuses it (TOO_MANY_ATTEMPTS instead of the miss's own answer) once the address is over its limit. */
  private async miss(key: string): Promise<void> {
    const until = this.blockedUntil.get(key);
    if (until !== undefined && until > Date.now()) throw this.tooMany(until - Date.now());
    if (until !== undefined) this.blockedUntil.delete(key);
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
    return new DomainError(
      ErrorCode.TOO_MANY_ATTEMPTS,
      `Too many unknown links from this address; try again in ${retryAfterSeconds} seconds`,
      { retryAfterSeconds },
    );
  }
}
