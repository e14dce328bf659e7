import { type RateLimiterAbstract, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError, ErrorCode } from '../../domain/errors.js';
import type { Settings } from '../../kit/settings.js';

/**
 * One budget of wrong passwords: what it is counted per (a credential, an address, a merchant, an
 * email) and what a correct password does to it. `reset` gives the whole budget back (only the
 * rightful holder can do that); `refund` gives back the one attempt, so that an attacker who owns one
 * valid account cannot clear a shared budget (an address's, a merchant's) between guesses.
 */
export interface AttemptScope {
  name: 'credential' | 'address' | 'merchant' | 'email' | 'staff_member';
  key: string;
  limiter: RateLimiterAbstract;
  onSuccess: 'reset' | 'refund';
}

export interface Lockout {
  scope: AttemptScope['name'];
  retryAfterSeconds: number;
}

function tooMany(retryAfterSeconds: number): DomainError {
  return new DomainError(ErrorCode.TOO_MANY_ATTEMPTS, `Too many wrong passwords; try again in ${retryAfterSeconds} seconds`, {
    retryAfterSeconds,
  });
}

/**
 * Spends one attempt in each scope, in order, before any password is checked (so that concurrent
 * guesses cannot slip past a limit), and stops at the first scope that refuses: an attempt refused by
 * its credential's budget never reaches the merchant's, so one credential cannot exhaust the shared
 * budgets of others. Refused attempts are counted by the store (its points go on rising within the
 * window) and reported once, when a lockout begins: `onLockout` runs for the first refusal only.
 */
export async function spendAttempt(
  scopes: AttemptScope[],
  onLockout: (lockout: Lockout & { blockedAttempts: number }) => Promise<void>,
): Promise<void> {
  for (const scope of scopes) {
    try {
      await scope.limiter.consume(scope.key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      const blockedAttempts = rejection.consumedPoints - scope.limiter.points;
      if (blockedAttempts === 1) await onLockout({ scope: scope.name, retryAfterSeconds, blockedAttempts });
      throw tooMany(retryAfterSeconds);
    }
  }
}

export async function attemptSucceeded(scopes: AttemptScope[]): Promise<void> {
  await Promise.all(
    scopes.map((scope) => (scope.onSuccess === 'reset' ? scope.limiter.delete(scope.key) : scope.limiter.reward(scope.key, 1))),
  );
}

/** The password limiters of the process: counts live in PostgreSQL (rate_limit), shared by every instance. */
export interface PasswordAttemptLimiters {
  supervisorPerCredential: RateLimiterAbstract;
  supervisorPerAddress: RateLimiterAbstract;
  supervisorPerMerchant: RateLimiterAbstract;
  signInPerEmail: RateLimiterAbstract;
  signInPerAddress: RateLimiterAbstract;
}

export function createPasswordAttemptLimiters(storeClient: unknown, settings: Settings): PasswordAttemptLimiters {
  const limiter = (keyPrefix: string, points: number, duration: number) =>
    new RateLimiterPostgres({ storeClient, storeType: 'pool', tableName: 'rate_limit', tableCreated: true, keyPrefix, points, duration });
  return {
    supervisorPerCredential: limiter('supervisor-credential', settings.supervisorMaxFailedAttempts, settings.supervisorLockoutSeconds),
    supervisorPerAddress: limiter('supervisor-address', settings.supervisorMaxFailedPerAddress, settings.supervisorLockoutSeconds),
    supervisorPerMerchant: limiter('supervisor-merchant', settings.supervisorMaxFailedPerMerchant, settings.supervisorLockoutSeconds),
    signInPerEmail: limiter('sign-in-email', settings.signInMaxFailedPerEmail, settings.signInWindowSeconds),
    signInPerAddress: limiter('sign-in-address', settings.signInMaxFailedPerAddress, settings.signInWindowSeconds),
  };
}
