import { Logger as WorkerLogger, run } from 'graphile-worker';
import pg from 'pg';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { fileTransport, smtpTransport } from '../modules/email/mail-transport.js';
import { type AppDeps, createServices } from '../services.js';
import { deliverEmail } from './deliver-email.job.js';
import { expirePaymentLinks } from './expire-payment-links.job.js';
import { recoverPayments } from './payment-jobs.js';
import { TransactionKind } from '../domain/statuses.js';
import { SandboxProcessor } from '../processors/sandbox/sandbox.processor.js';
import path from 'node:path';

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

export async function startWorker(databaseUrl: string, orm: Orm, deps: AppDeps): Promise<Worker> {
  const { settings, clock, logger } = deps;
  // Our own pool: graphile-worker ends a pool it made without waiting and drops its error handlers
  // first, so a connection closed by the server afterwards would crash the process.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', (err) => logger.warn({ err }, 'job queue connection error'));
  pool.on('connect', (client) => client.on('error', (err) => logger.warn({ err }, 'job queue connection error')));
  const services = () => createServices(orm.em.fork(), deps, { requestId: 'job' });
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
        await deliverEmail((payload as { emailId: string }).emailId, { em: () => orm.em.fork(), transport, mailFrom: settings.mailFrom, clock, logger });
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
        await services().payments.syncFromProcessor((payload as { paymentReference: string }).paymentReference);
      },
      'recover-payments': async () => {
        await recoverPayments({
          em: () => orm.em.fork(),
          recover: (transaction) => (transaction.kind === TransactionKind.REFUND ? services().refunds.recover(transaction.id) : services().payments.recover(transaction.id)),
          clock,
          logger,
          recoverAfterSeconds: settings.paymentRecoveryAfterSeconds,
        });
      },
      'reconcile-payouts': async () => {
        const outcomes = await services().settlements.reconcileRecentPayouts();
        if (outcomes.length) logger.info({ payouts: outcomes }, 'payouts reconciled');
      },
      'reconcile-payout': async (payload) => {
        await services().settlements.reconcilePayout((payload as { payoutReference: string }).payoutReference);
      },
      'sandbox-advance-ach': async (payload) => {
        if (deps.processor instanceof SandboxProcessor) await deps.processor.advanceAch((payload as { paymentId: string }).paymentId);
      },
    },
    // Every minute; the job keys keep one pending run at most, whatever the number of instances.
    crontab: [
      '* * * * * expire-payment-links ?jobKey=expire-payment-links&max=1',
      '* * * * * recover-payments ?jobKey=recover-payments&max=1',
      '*/10 * * * * reconcile-payouts ?jobKey=reconcile-payouts&max=1',
    ].join('\n'),
  });
  return {
    async stop() {
      await runner.stop();
      await pool.end();
    },
  };
}
