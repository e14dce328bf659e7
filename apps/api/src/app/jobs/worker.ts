import path from 'node:path';
import { run, Logger as WorkerLogger } from 'graphile-worker';
import pg from 'pg';
import type { TransactionStatus } from '../../domain/statuses.js';
import { endPool } from '../../kit/db/end-pool.js';
import type { Logger } from '../../kit/logger.js';
import { jobsFailedTotal } from '../../kit/metrics.js';
import { fileTransport, smtpTransport } from '../../modules/email/index.js';
import { expirePaymentLinks } from '../../modules/payment-link/index.js';
import { SandboxPlatform } from '../../processors/sandbox/sandbox.platform.js';
import type { AppDeps } from '../services.js';
import type { UnitsOfWork } from '../unit-of-work.js';
import { deliverEmail } from './deliver-email.job.js';
import { recoverPayments } from './payment-jobs.js';
import { pruneRetention } from './retention.job.js';

function workerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
    logger[method]({ component: 'graphile-worker', ...scope, ...meta }, message);
  });
}

/**
 * The background jobs (graphile-worker on our PostgreSQL: LISTEN/NOTIFY pickup, retries with
 * exponential backoff). Every API instance may run a worker; jobs are taken exactly once.
 */
export interface Worker {
  stop(): Promise<void>;
}

export async function startWorker(databaseUrl: string, units: UnitsOfWork, deps: AppDeps): Promise<Worker> {
  const { settings, clock, logger } = deps;
  // Our own pool: graphile-worker ends a pool it made without waiting and drops its error handlers
  // first, so a connection closed by the server afterwards would crash the process.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', (err) => logger.warn({ err }, 'job queue connection error'));
  pool.on('connect', (client) => client.on('error', (err) => logger.warn({ err }, 'job queue connection error')));
  const services = () => units.services('job');
  const transport = settings.smtpUrl ? smtpTransport(settings.smtpUrl) : fileTransport(path.join(settings.dataDir, 'outbox'));
  logger.info({ transport: transport.describe() }, 'email transport');
  const runner = await run({
    pgPool: pool,
    concurrency: 2,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: workerLogger(logger),
    taskList: {
      'deliver-email': async (payload) => {
        await deliverEmail((payload as { emailId: string }).emailId, {
          em: () => units.em(),
          transport,
          mailFrom: settings.mailFrom,
          clock,
          logger,
        });
      },
      'expire-payment-links': async () => {
        await expirePaymentLinks({
          findExpired: (now, limit) => services().links.findExpiredActive(now, limit),
          replace: (invoiceId) => services().invoices.replaceExpiredLink(invoiceId),
          clock,
          logger,
        });
      },
      'sync-payment': async (payload) => {
        const { paymentReference, account } = payload as { paymentReference: string; account: string | null };
        const merchantId = account && (await services().processorAccounts.merchantOf(account));
        if (merchantId) await services().payments.syncPayment(paymentReference, merchantId);
        else logger.warn({ paymentReference, account }, 'sandbox notification of no merchant account ignored');
      },
      'sync-processor-account': async (payload) => {
        await services().processorAccounts.sync((payload as { account: string }).account);
      },
      'sync-dispute': async (payload) => {
        const { disputeReference, account } = payload as { disputeReference: string; account: string | null };
        const merchantId = account && (await services().processorAccounts.merchantOf(account));
        if (merchantId) await services().disputes.syncDispute(disputeReference, merchantId);
        else logger.warn({ disputeReference, account }, 'sandbox dispute notification of no merchant account ignored');
      },
      'send-receipt': async (payload) => {
        const { transactionId, status } = payload as {
          transactionId: string;
          status: TransactionStatus.SUCCEEDED | TransactionStatus.PROCESSING;
        };
        await services().receipts.send(transactionId, status);
      },
      'invoice-reopened': async (payload) => {
        const { invoiceId, newLink } = payload as { invoiceId: string; newLink?: boolean };
        await services().invoices.reissueLinkIfExpired(invoiceId, { evenIfLive: newLink === true });
      },
      'recover-payments': async () => {
        await recoverPayments({
          em: () => units.em(),
          recover: (transactionId) => services().payments.recover(transactionId),
          cancelAbandoned: (transactionId) => services().payments.engine.cancelAbandoned(transactionId),
          clock,
          logger,
          recoverAfterSeconds: settings.paymentRecoveryAfterSeconds,
          abandonAfterSeconds: settings.abandonedActionAfterSeconds,
        });
      },
      'reconcile-payouts': async () => {
        const outcomes = await services().settlements.reconcileRecentPayouts();
        if (outcomes.length) logger.info({ payouts: outcomes }, 'payouts reconciled');
      },
      'reconcile-payout': async (payload) => {
        const { payoutReference, merchantId } = payload as { payoutReference: string; merchantId: string };
        await services().settlements.reconcilePayout(payoutReference, merchantId);
      },
      'prune-retention': async () => {
        await pruneRetention({ em: () => units.em(), settings, clock, logger });
      },
      'sandbox-advance-ach': async (payload) => {
        const { platform } = deps.processors;
        if (platform instanceof SandboxPlatform) await platform.controls.advanceAch((payload as { paymentId: string }).paymentId);
      },
    },
    // Every minute; the job keys keep one pending run at most, whatever the number of instances.
    crontab: [
      '* * * * * expire-payment-links ?jobKey=expire-payment-links&max=1',
      '* * * * * recover-payments ?jobKey=recover-payments&max=1',
      '*/10 * * * * reconcile-payouts ?jobKey=reconcile-payouts&max=1',
      // Daily, at a quiet hour (UTC).
      '17 3 * * * prune-retention ?jobKey=prune-retention&max=1',
    ].join('\n'),
  });
  runner.events.on('job:error', ({ job }) =>
    jobsFailedTotal.inc({ task: job.task_identifier, retrying: job.attempts < job.max_attempts ? 'yes' : 'no' }),
  );
  return {
    async stop() {
      await runner.stop();
      await endPool(pool);
    },
  };
}
