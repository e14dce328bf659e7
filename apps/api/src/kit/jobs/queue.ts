import type { EntityManager } from '@mikro-orm/postgresql';
import { runMigrations } from 'graphile-worker';

export type JobName =
  | 'deliver-email'
  | 'send-receipt'
  | 'invoice-reopened'
  | 'expire-payment-links'
  | 'sandbox-advance-ach'
  | 'recover-payments'
  | 'sync-payment'
  | 'sync-processor-account'
  | 'sync-dispute'
  | 'reconcile-payouts'
  | 'reconcile-payout'
  | 'prune-retention';

/** Installs (or upgrades) graphile-worker's own schema; idempotent, run at start. */
export async function installJobQueue(databaseUrl: string): Promise<void> {
  await runMigrations({ connectionString: databaseUrl, logger: undefined });
}

/**
 * Adds a graphile-worker job through the caller's EntityManager, so that inside a transaction the
 * job becomes visible to workers only when (and if) the transaction commits.
 */
export async function enqueueJob(
  em: EntityManager,
  name: JobName,
  payload: Record<string, unknown>,
  options: { maxAttempts?: number; jobKey?: string; runAt?: Date } = {},
): Promise<void> {
  await em.execute('select graphile_worker.add_job(?, ?::json, max_attempts => ?, job_key => ?, run_at => ?)', [
    name,
    JSON.stringify(payload),
    options.maxAttempts ?? 25,
    options.jobKey ?? null,
    options.runAt ?? null,
  ]);
}
