import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The highest outbox position the retention job has deleted (0: none). A cursor below it may stand
 * before events that are gone: resuming from it would skip them silently, so it is refused.
 */
export async function prunedThrough(em: EntityManager): Promise<bigint> {
  const [row] = await em.getConnection().execute<{ pruned_through: string }[]>('select pruned_through::text from outbox_retention');
  return BigInt(row?.pruned_through ?? 0);
}

/**
 * Deletes outbox events that occurred before `before`, in batches, raising the pruned-through mark
 * in the same transaction as each batch, so that a cursor is never accepted past a gap. Answers how
 * many were deleted.
 */
export async function pruneOutbox(em: EntityManager, before: Date, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const [row] = await em.getConnection().execute<{ deleted: number }[]>(
      `with doomed as (
         delete from outbox_event where position in (
           select position from outbox_event where occurred_at < ? order by position limit ?
         ) returning position
       ), marked as (
         update outbox_retention set pruned_through = greatest(pruned_through, coalesce((select max(position) from doomed), 0)), pruned_at = now()
         where exists (select 1 from doomed)
       )
       select count(*)::int as deleted from doomed`,
      [before, batch],
    );
    total += row.deleted;
    if (row.deleted < batch) return total;
  }
}
