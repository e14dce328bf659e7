import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueJob } from '../../kit/jobs/queue.js';
import type { ProcessorEvent } from '../../processors/processor.port.js';
import { type DisputesService, type PaymentsService, ProcessorEventRecord } from '../payments/index.js';
import type { ProcessorAccountService } from '../processor-account/index.js';

/**
 * What handling an event came to: handled now; handled before (the processor resent it); or failed,
 * in which case the event was forgotten, so that the processor's retry is handled again.
 */
export type ProcessorEventOutcome = { status: 'handled' } | { status: 'duplicate' } | { status: 'failed'; error: unknown };

/**
 * The processor's events (Stripe's webhooks), once verified by the HTTP route: each is handled once
 * (processor_event), and its payload is only a hint: the payment, refund or payout is re-read.
 */
export class ProcessorEventService {
  constructor(
    private readonly em: EntityManager,
    private readonly payments: Pick<PaymentsService, 'syncPayment' | 'syncRefund'>,
    private readonly accounts: Pick<ProcessorAccountService, 'sync' | 'merchantOf'>,
    private readonly disputes: Pick<DisputesService, 'syncDispute'>,
  ) {}

  /**
   * The merchant whose account an event is about (Stripe Connect's `account`); null for an account
   * that is no merchant's, or an event of the platform's own account: those change nothing.
   */
  async merchantOf(event: ProcessorEvent): Promise<string | null> {
    return event.account ? this.accounts.merchantOf(event.account) : null;
  }

  /**
   * An event of `merchantId`'s account. A database that cannot record or forget the event throws
   * (the route answers 503: the processor retries).
   */
  async handle(event: ProcessorEvent, merchantId: string): Promise<ProcessorEventOutcome> {
    const inserted = await this.em.execute<{ id: string }[]>(
      'insert into processor_event (id, type, object_reference, received_at) values (?, ?, ?, now()) on conflict (id) do nothing returning id',
      [event.id, event.processorType, event.objectReference],
    );
    if (!inserted.length) return { status: 'duplicate' };
    try {
      await this.dispatch(event, merchantId);
      return { status: 'handled' };
    } catch (error) {
      await this.em.nativeDelete(ProcessorEventRecord, { id: event.id });
      return { status: 'failed', error };
    }
  }

  private async dispatch(event: ProcessorEvent, merchantId: string): Promise<void> {
    if ((event.type === 'payment.updated' || event.type === 'charge.returned') && event.objectReference) {
      await this.payments.syncPayment(event.objectReference, merchantId);
    }
    if (event.type === 'refund.updated' && event.objectReference) await this.payments.syncRefund(event.objectReference, merchantId);
    if (event.type === 'dispute.updated' && event.objectReference) {
      // The payment first: a disputed bank debit is a return, recorded whatever becomes of the dispute's re-read.
      if (event.paymentReference) await this.payments.syncPayment(event.paymentReference, merchantId);
      await this.disputes.syncDispute(event.objectReference, merchantId);
    }
    // A payout can carry thousands of balance transactions: reconciled by a job, not in the request.
    if (event.type === 'payout.updated' && event.objectReference) {
      await enqueueJob(this.em, 'reconcile-payout', { payoutReference: event.objectReference, merchantId }, { maxAttempts: 25 });
    }
    // The account is read again at the processor: the event is only a hint.
    if (event.type === 'account.updated' && event.account) await this.accounts.sync(event.account);
  }
}
