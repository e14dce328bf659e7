import pg from 'pg';
import type { Clock } from '../domain/clock.js';
import { CursorSigner } from '../domain/cursor-signer.js';
import { endPool } from '../kit/db/end-pool.js';
import { enqueueJob } from '../kit/jobs/queue.js';
import type { Logger } from '../kit/logger.js';
import { processorRequestDuration } from '../kit/metrics.js';
import type { Settings } from '../kit/settings.js';
import { OutboxFeed } from '../modules/outbox/index.js';
import { PaymentEventCursors } from '../modules/partner/index.js';
import { ProcessorAccountDirectory } from '../modules/processor-account/index.js';
import { createProcessorPlatform } from '../processors/create-processor.js';
import type { PaymentProcessor } from '../processors/processor.port.js';
import type { ProcessorPlatform } from '../processors/processor-account.port.js';
import { faultsFor } from './crash-faults.js';
import type { Orm } from './db/orm.js';
import { createRateLimiters } from './rate-limiters.js';
import type { AppDeps } from './services.js';

export interface DependencyOptions {
  settings: Settings;
  /** The secrets partners' event cursors are signed with, newest first (CURSOR_SECRETS). */
  cursorSecrets: string[];
  databaseUrl: string;
  orm: Orm;
  logger: Logger;
  clock: Clock;
}

/** What `AppDependencies.close` is waiting for, in order. */
export type DependencyClosingStage = 'outbox-feed' | 'rate-limit-pool';

export interface AppDependencies {
  deps: AppDeps;
  close(onStage: (stage: DependencyClosingStage) => void): Promise<void>;
}

/**
 * The processor, each call that answers with a promise timed into
 * kometpay_processor_request_duration_seconds (operation = the port's method). Methods run bound to
 * the adapter itself (its private fields), and `instanceof` still sees the adapter's class.
 */
function timedProcessor(processor: PaymentProcessor): PaymentProcessor {
  return new Proxy(processor, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      // The adapter's methods (its class's) are timed; a function set on the instance itself (a test's spy) is handed out as it is.
      const method =
        typeof value === 'function' && typeof property === 'string' && property !== 'constructor' && !Object.hasOwn(target, property);
      if (!method) return value;
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        const stop = processorRequestDuration.startTimer({ operation: property });
        return result.then(
          (answer) => {
            stop({ outcome: 'ok' });
            return answer;
          },
          (error: unknown) => {
            stop({ outcome: 'error' });
            throw error;
          },
        );
      };
    },
  });
}

/** The platform, with every processor it binds to an account timed as `timedProcessor` does (one timed view per processor). */
function timedPlatform(platform: ProcessorPlatform): ProcessorPlatform {
  const timed = new WeakMap<PaymentProcessor, PaymentProcessor>();
  const timedFor = (processor: PaymentProcessor) => {
    if (!timed.has(processor)) timed.set(processor, timedProcessor(processor));
    return timed.get(processor)!;
  };
  return new Proxy(platform, {
    get(target, property, receiver) {
      if (property === 'forAccount') return (accountReference: string) => timedFor(target.forAccount(accountReference));
      return Reflect.get(target, property, receiver);
    },
  });
}

/** The process-wide collaborators: the payment processor, the outbox feed, the rate limiters (and their pool). */
export function createDependencies({ settings, cursorSecrets, databaseUrl, orm, logger, clock }: DependencyOptions): AppDependencies {
  // A small pool of our own for the rate limiter's store.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', (err) => logger.warn({ err }, 'idle pg connection error'));
  const platform = timedPlatform(
    createProcessorPlatform(settings, {
      em: () => orm.em.fork(),
      // Like a webhook: the change is picked up by a job, retried until handled.
      notify: (paymentReference, account) => enqueueJob(orm.em.fork(), 'sync-payment', { paymentReference, account }, { maxAttempts: 25 }),
      notifyDispute: (disputeReference, account) =>
        enqueueJob(orm.em.fork(), 'sync-dispute', { disputeReference, account }, { maxAttempts: 25 }),
      notifyAccount: (account) => enqueueJob(orm.em.fork(), 'sync-processor-account', { account }, { maxAttempts: 25 }),
      clock,
    }),
  );
  const processors = new ProcessorAccountDirectory(platform, () => orm.em.fork(), clock, settings.processorAccountCacheSeconds);
  const deps: AppDeps = {
    settings,
    clock,
    logger,
    processors,
    outboxFeed: OutboxFeed.start({ databaseUrl, logger, em: () => orm.em.fork() }),
    faults: faultsFor(settings),
    ...createRateLimiters(pool, settings),
    eventCursors: new PaymentEventCursors(new CursorSigner(cursorSecrets)),
  };
  return {
    deps,
    async close(onStage) {
      onStage('outbox-feed');
      await deps.outboxFeed.close();
      onStage('rate-limit-pool');
      await endPool(pool);
    },
  };
}
