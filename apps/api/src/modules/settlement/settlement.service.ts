import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { sessionOf } from '../../kit/db/sql-session.js';
import type { PaymentProcessor, PayoutEntry, ProcessorPayout } from '../../processors/processor.port.js';
import type { MerchantProcessors } from '../../processors/processor-account.port.js';
import { lockCarried, lockLateSuccesses, lockSettledBy, markSettled, markSettlementReversed } from '../payments/index.js';
import { ProcessorPayoutRecord, type UnmatchedPayoutEntry } from './processor-payout.entity.js';

/** How far back the periodic sweep asks the processor for payouts: past Stripe's webhook retry window. */
const SWEEP_DAYS = 30;
const FINAL_PAYOUT_STATUSES: ReadonlySet<ProcessorPayout['status']> = new Set(['PAID', 'FAILED', 'CANCELED']);

export interface PayoutOutcome {
  reference: string;
  status: ProcessorPayout['status'];
  /** Transactions this reconciliation moved to SETTLED (or back to PENDING for a failed payout). */
  changed: number;
}

/**
 * Settlement from the processor's payouts: a card payment or refund is SETTLED when the payout that
 * carried its money has arrived at the bank (Stripe: the payout's balance transactions; the
 * sandbox pays out each day's card payments at the next midnight). ACH payments settle by their
 * own bank step (PaymentService), offline payments at once.
 *
 * Each payout is read from the processor first (outside any transaction), then applied in one
 * transaction that writes a `transaction.settled` outbox event per transaction it changes.
 */
export class SettlementService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly processors: MerchantProcessors,
  ) {}

  /**
   * The periodic sweep: payments that paid payouts carried before we knew they had succeeded, then
   * every payout whose webhook never came (every payout whose status we have not applied).
   */
  async reconcileRecentPayouts(): Promise<PayoutOutcome[]> {
    const outcomes = await this.settleLateSuccesses();
    const since = this.sweepStart();
    // Each merchant's payouts are its own account's: only accounts that moved money through the processor are asked.
    // A disconnected (DISABLED) account can no longer be read.
    const merchants = await this.em.fork().execute<{ merchant_id: string }[]>(
      `select pa.merchant_id from processor_account pa
       where pa.status <> 'DISABLED'
         and exists (select 1 from "transaction" t where t.merchant_id = pa.merchant_id and t.processor_reference is not null)`,
    );
    // One account that cannot be read now does not hold back the others; the sweep still fails, to be retried.
    let failure: unknown = null;
    for (const { merchant_id: merchantId } of merchants) {
      try {
        outcomes.push(...(await this.reconcileAccount(merchantId, since)));
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw failure;
    return outcomes;
  }

  private async reconcileAccount(merchantId: string, since: Date): Promise<PayoutOutcome[]> {
    const processor = await this.processors.of(merchantId);
    const payouts: ProcessorPayout[] = [];
    for await (const payout of processor.listPayouts(since)) if (FINAL_PAYOUT_STATUSES.has(payout.status)) payouts.push(payout);
    if (!payouts.length) return [];
    const applied = await this.em.fork().find(ProcessorPayoutRecord, { reference: { $in: payouts.map((p) => p.reference) } });
    const appliedStatus = new Map(applied.map((record) => [record.reference, record.status]));
    const outcomes: PayoutOutcome[] = [];
    for (const payout of payouts) {
      if (appliedStatus.get(payout.reference) !== payout.status) outcomes.push(await this.apply(payout, processor));
    }
    return outcomes;
  }

  /** One payout of a merchant's account, when its webhook says it was paid, failed or canceled. */
  async reconcilePayout(reference: string, merchantId: string): Promise<PayoutOutcome> {
    const processor = await this.processors.of(merchantId);
    return this.apply(await processor.retrievePayout(reference), processor);
  }

  private async apply(payout: ProcessorPayout, processor: PaymentProcessor): Promise<PayoutOutcome> {
    if (!FINAL_PAYOUT_STATUSES.has(payout.status)) return { reference: payout.reference, status: payout.status, changed: 0 };
    const own = payout.status === 'PAID' ? await this.entriesOf(payout.reference, processor) : [];
    const { resent, inherited } = await this.resentPayouts(payout.reference, own, processor);
    const carried = [...own.filter((entry) => entry.kind !== 'failed_payout'), ...inherited];

    return this.em.fork().transactional(async (tx) => {
      // The webhook's job and the sweep may apply the same payout at once: one waits for the other.
      await lockPayout(tx, payout.reference);
      const record = await tx.findOne(ProcessorPayoutRecord, { reference: payout.reference });
      if (record?.status === payout.status) return { reference: payout.reference, status: payout.status, changed: 0 };
      const now = this.clock.now();
      const { changed, unmatched } =
        payout.status === 'PAID'
          ? await this.settle(tx, payout, carried, resent, now)
          : { changed: record?.status === 'PAID' ? await this.reverse(tx, payout, now) : 0, unmatched: [] };
      const facts = {
        status: payout.status,
        amount: payout.amount,
        currency: payout.currency,
        arrivalDate: payout.arrivalDate,
        entryCount: own.length,
        unmatchedEntries: unmatched,
        reconciledAt: now,
      };
      if (record) Object.assign(record, facts, payout.status === 'PAID' ? { settledCount: changed } : {});
      else
        tx.create(ProcessorPayoutRecord, { reference: payout.reference, ...facts, settledCount: payout.status === 'PAID' ? changed : 0 });
      return { reference: payout.reference, status: payout.status, changed };
    });
  }

  /**
   * A payout that sends failed ones' money again names those payouts (a failed_payout entry each),
   * not their payments. Each failed payout is applied first, so that what it had settled is back to
   * PENDING before this payout settles it again (the sweep may meet this payout before that
   * payout's failure); and the payments and refunds it carried are read from it, since we may never
   * have seen it paid, or recorded a payment's success only after it failed. A failed payout that
   * itself resent an earlier one is followed in turn.
   */
  private async resentPayouts(
    reference: string,
    own: PayoutEntry[],
    processor: PaymentProcessor,
  ): Promise<{ resent: string[]; inherited: PayoutEntry[] }> {
    const resent: string[] = [];
    const inherited: PayoutEntry[] = [];
    const visited = new Set([reference]);
    const waiting = own.filter((entry) => entry.kind === 'failed_payout').map((entry) => entry.reference);
    for (let failed = waiting.shift(); failed !== undefined; failed = waiting.shift()) {
      if (visited.has(failed)) continue;
      visited.add(failed);
      resent.push(failed);
      await this.apply(await processor.retrievePayout(failed), processor);
      for (const entry of await this.entriesOf(failed, processor)) {
        if (entry.kind === 'failed_payout') waiting.push(entry.reference);
        else inherited.push(entry);
      }
    }
    return { resent, inherited };
  }

  private async entriesOf(payoutReference: string, processor: PaymentProcessor): Promise<PayoutEntry[]> {
    const entries: PayoutEntry[] = [];
    for await (const entry of processor.listPayoutEntries(payoutReference)) entries.push(entry);
    return entries;
  }

  /** `entries`: the payments and refunds the payout carries; `resent`: the failed payouts whose money it sends again. */
  private async settle(
    tx: EntityManager,
    payout: ProcessorPayout,
    entries: PayoutEntry[],
    resent: string[],
    now: Date,
  ): Promise<{ changed: number; unmatched: UnmatchedPayoutEntry[] }> {
    const carried = new Map(entries.map((entry) => [entry.reference, entry]));
    if (!carried.size && !resent.length) return { changed: 0, unmatched: [] };
    const transactions = await lockCarried(sessionOf(tx), [...carried.keys()], resent);
    await markSettled(sessionOf(tx), transactions, payout, (row) => paymentFee(carried, row), now);
    const matched = new Set(transactions.map((transaction) => transaction.processorReference));
    const unmatched = [...carried.values()]
      .filter((entry) => !matched.has(entry.reference))
      .map((entry) => ({ kind: entry.kind as UnmatchedPayoutEntry['kind'], reference: entry.reference, fee: entry.fee.toString() }));
    return { changed: transactions.length, unmatched };
  }

  /**
   * Payments and refunds a paid payout carried while they were not SUCCEEDED on our side (the
   * outcome was lost, and recovery or a late webhook recorded it after the payout was applied):
   * settled by that payout now. One transaction per payout, under the payout's lock.
   */
  private async settleLateSuccesses(): Promise<PayoutOutcome[]> {
    const since = this.sweepStart();
    const waiting = await this.em.fork().execute<{ reference: string }[]>(
      `select distinct p.reference from processor_payout p
       cross join lateral jsonb_array_elements(p.unmatched_entries) entry
       join "transaction" t on t.processor_reference = entry->>'reference'
       where p.status = 'PAID' and p.arrival_date >= ? and p.unmatched_entries <> '[]'
         and t.status = 'SUCCEEDED' and t.settlement = 'PENDING' and t.settlement_reference is null
       order by p.reference`,
      [since],
    );
    const outcomes: PayoutOutcome[] = [];
    for (const { reference } of waiting) {
      const changed = await this.em.fork().transactional(async (tx) => {
        await lockPayout(tx, reference);
        const record = await tx.findOne(ProcessorPayoutRecord, { reference });
        if (record?.status !== 'PAID' || !record.unmatchedEntries.length) return 0;
        const carried = new Map(record.unmatchedEntries.map((entry) => [entry.reference, { kind: entry.kind, fee: BigInt(entry.fee) }]));
        const transactions = await lockLateSuccesses(sessionOf(tx), [...carried.keys()]);
        if (!transactions.length) return 0;
        const now = this.clock.now();
        await markSettled(
          sessionOf(tx),
          transactions,
          { reference, arrivalDate: record.arrivalDate },
          (row) => paymentFee(carried, row),
          now,
        );
        const settled = new Set(transactions.map((transaction) => transaction.processorReference));
        record.unmatchedEntries = record.unmatchedEntries.filter((entry) => !settled.has(entry.reference));
        record.settledCount += transactions.length;
        record.reconciledAt = now;
        return transactions.length;
      });
      if (changed) outcomes.push({ reference, status: 'PAID', changed });
    }
    return outcomes;
  }

  /** A payout that failed or was canceled after it was paid: what it settled is PENDING again. */
  private async reverse(tx: EntityManager, payout: ProcessorPayout, now: Date): Promise<number> {
    const transactions = await lockSettledBy(sessionOf(tx), payout.reference);
    await markSettlementReversed(sessionOf(tx), transactions, now);
    return transactions.length;
  }

  private sweepStart(): Date {
    return new Date(this.clock.now().getTime() - SWEEP_DAYS * 86_400_000);
  }
}

/** One payout is applied by one transaction at a time (its webhook's job, the sweep, a late success). */
const lockPayout = (tx: EntityManager, reference: string) =>
  tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`payout:${reference}`]);

/** The fee the processor took for a payment a payout carried (refunds carry none of their own). */
function paymentFee(carried: Map<string, Pick<PayoutEntry, 'kind' | 'fee'>>, row: { processorReference: string | null }): bigint | null {
  const entry = carried.get(row.processorReference ?? '');
  return entry?.kind === 'payment' ? entry.fee : null;
}
