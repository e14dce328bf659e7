import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../kit/logger.js';
import { retentionPrunedTotal } from '../../kit/metrics.js';
import type { Settings } from '../../kit/settings.js';
import { pruneOutbox } from '../../modules/outbox/index.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface RetentionDeps {
  em: () => EntityManager;
  settings: Pick<Settings, 'idempotencyKeyRetentionHours' | 'processedWebhookRetentionDays' | 'outboxRetentionDays'>;
  clock: Clock;
  logger: Logger;
}

export interface Pruned {
  idempotencyKeys: number;
  processorEvents: number;
  outboxEvents: number;
}

/**
 * The daily retention job: idempotency keys past their replay window, processor webhook events
 * (kept to drop duplicates) past theirs, and outbox events past OUTBOX_RETENTION_DAYS, which is
 * also how far back a partner may resume (an older cursor answers CURSOR_EXPIRED). Audit rows and
 * ledger rows are records, never pruned.
 */
export async function pruneRetention({ em, settings, clock, logger }: RetentionDeps): Promise<Pruned> {
  const now = clock.now().getTime();
  const keysBefore = new Date(now - settings.idempotencyKeyRetentionHours * HOUR_MS);
  const webhooksBefore = new Date(now - settings.processedWebhookRetentionDays * DAY_MS);
  const outboxBefore = new Date(now - settings.outboxRetentionDays * DAY_MS);
  const connection = em().getConnection();
  // A claim still IN_PROGRESS past the window died with its process long ago: it goes too.
  const [keys] = await connection.execute<{ deleted: number }[]>(
    'with doomed as (delete from idempotency_key where created_at < ? returning 1) select count(*)::int as deleted from doomed',
    [keysBefore],
  );
  const [events] = await connection.execute<{ deleted: number }[]>(
    'with doomed as (delete from processor_event where received_at < ? returning 1) select count(*)::int as deleted from doomed',
    [webhooksBefore],
  );
  const outbox = await pruneOutbox(em(), outboxBefore);
  const pruned = { idempotencyKeys: keys.deleted, processorEvents: events.deleted, outboxEvents: outbox };
  retentionPrunedTotal.inc({ table: 'idempotency_key' }, pruned.idempotencyKeys);
  retentionPrunedTotal.inc({ table: 'processor_event' }, pruned.processorEvents);
  retentionPrunedTotal.inc({ table: 'outbox_event' }, pruned.outboxEvents);
  logger.info(
    { pruned, before: { idempotencyKeys: keysBefore, processorEvents: webhooksBefore, outboxEvents: outboxBefore } },
    'retention: old rows pruned',
  );
  return pruned;
}
