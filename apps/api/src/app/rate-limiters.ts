import type pg from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Settings } from '../kit/settings.js';
import { TokenLookupLimiter } from '../modules/checkout/index.js';
import { createPasswordAttemptLimiters } from '../modules/merchant/index.js';

/** The limiters shared by every instance, kept in PostgreSQL's rate_limit table. */
export function createRateLimiters(pool: pg.Pool, settings: Settings) {
  const store = { storeClient: pool, storeType: 'pool', tableName: 'rate_limit', tableCreated: true } as const;
  return {
    /** Wrong passwords (the supervisor password, staff sign-in). */
    passwordAttempts: createPasswordAttemptLimiters(pool, settings),
    /** Public token lookups that find nothing, per IP. */
    tokenLookups: new TokenLookupLimiter(
      new RateLimiterPostgres({
        ...store,
        keyPrefix: 'token-lookup',
        points: settings.tokenLookupMaxMisses,
        duration: settings.tokenLookupWindowSeconds,
      }),
    ),
  };
}
