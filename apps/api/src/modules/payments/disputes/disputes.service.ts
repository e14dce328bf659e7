import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../../domain/clock.js';
import { badInput, DomainError, ErrorCode, notFound } from '../../../domain/errors.js';
import {
  DisputeStatus,
  disputeStateMachine,
  PaymentMethodKind,
  SettlementState,
  TransactionKind,
  TransactionStatus,
} from '../../../domain/statuses.js';
import { isUuid } from '../../../domain/tokens.js';
import { sessionOf } from '../../../kit/db/sql-session.js';
import { decodeCursor, encodeCursor } from '../../../kit/graphql/connection.js';
import { type DisputeEvidence, type ProcessorDispute, ProcessorError } from '../../../processors/processor.port.js';
import type { MerchantProcessors } from '../../../processors/processor-account.port.js';
import type { MerchantActor } from '../../merchant/index.js';
import type { DomainEvent } from '../../outbox/index.js';
import { disputeReport } from '../engine/outcome.js';
import type { PaymentsEngine } from '../engine/payments-engine.js';
import {
  type Allocation,
  type DisputedCharge,
  insertDisputeTransaction,
  lockDisputedCharge,
  type NewTransaction,
} from '../ledger/ledger.js';
import { transactionEvent } from '../ledger/transaction.events.js';
import { type DisputeRecord, insertDispute, lockDispute, readDispute, readDisputePage, updateDispute } from './dispute.sql.js';

export interface DisputesDeps {
  em: EntityManager;
  engine: PaymentsEngine;
  processors: MerchantProcessors;
  clock: Clock;
}

/** Stripe's limit for all evidence text together; each of our fields takes at most a fifth of it. */
const EVIDENCE_FIELD_MAX = 20_000;

/** The charge is not recorded as succeeded yet (its own outcome is still on its way): the event is handled again later. */
class DisputedChargeNotSettled extends Error {}

/**
 * The status the dispute has once the processor's report is applied: forward along the state
 * machine, never back. A report older than what we recorded (events delivered out of order, a
 * re-read racing another) changes nothing, so any order of events ends in the same state.
 */
export function nextDisputeStatus(recorded: DisputeStatus, reported: DisputeStatus): DisputeStatus {
  return disputeStateMachine.canTransition(recorded, reported) ? reported : recorded;
}

const closed = (status: DisputeStatus) => status === DisputeStatus.WON || status === DisputeStatus.LOST;

/** Which partner event a change of status is (DISPUTE_OPENED, DISPUTE_WON, DISPUTE_LOST in the contract's words). */
const STATUS_EVENT: Partial<Record<DisputeStatus, string>> = {
  [DisputeStatus.WON]: 'dispute.won',
  [DisputeStatus.LOST]: 'dispute.lost',
  [DisputeStatus.UNDER_REVIEW]: 'dispute.under_review',
};

/**
 * Disputes (chargebacks) of card charges. The processor's report (a webhook, the sandbox's
 * notification, the answer to submitted evidence) is re-read and applied, with the DISPUTE
 * transaction's change, in one database transaction through the payments engine.
 */
export class DisputesService {
  constructor(private readonly deps: DisputesDeps) {}

  /**
   * A webhook or the sandbox says a dispute of a merchant's account changed: re-read it in that
   * account and record it. A dispute of another merchant's charge records nothing.
   */
  async syncDispute(reference: string, merchantId: string): Promise<DisputeRecord | null> {
    const reported = await (await this.deps.processors.of(merchantId)).retrieveDispute(reference);
    // The charge first, as the processor has it: a dispute can be reported before its payment's own
    // outcome, and a disputed bank debit is a return, which this records.
    await this.deps.engine.syncPayment(reported.paymentReference, merchantId);
    return this.record(reported, merchantId, {});
  }

  /** Sends the merchant's evidence to the processor (outside any transaction), then records the dispute as the processor answers it. */
  async submitEvidence(actor: MerchantActor, disputeId: string, evidence: DisputeEvidence): Promise<DisputeRecord> {
    const checked = checkEvidence(evidence);
    const dispute = isUuid(disputeId) ? await readDispute(sessionOf(this.deps.em), actor.merchantId, disputeId) : null;
    if (!dispute) throw notFound('dispute', 'disputeId');
    assertTakesEvidence(dispute.status);
    let answered: ProcessorDispute;
    try {
      answered = await (await this.deps.processors.of(actor.merchantId)).submitDisputeEvidence(dispute.processorReference, checked);
    } catch (error) {
      if (!(error instanceof ProcessorError) || error.retryable) {
        throw new DomainError(ErrorCode.PROCESSOR_UNAVAILABLE, 'The payment processor did not answer; please retry', { disputeId }, true);
      }
      // The processor refuses evidence for a dispute it closed meanwhile: record what it says, and answer that.
      const now = await this.syncDispute(dispute.processorReference, actor.merchantId);
      if (now) assertTakesEvidence(now.status);
      throw new DomainError(ErrorCode.BAD_USER_INPUT, `The processor refused the evidence: ${error.message}`, { field: 'input' });
    }
    const recorded = await this.record(answered, actor.merchantId, { evidenceSubmitted: checked.submit });
    if (!recorded) throw notFound('dispute', 'disputeId');
    return recorded;
  }

  /** The merchant's disputes, newest first, a page at a time. */
  async page(
    actor: MerchantActor,
    filter: { first: number; after?: string | null; status?: DisputeStatus | null },
  ): Promise<{ rows: (DisputeRecord & { cursor: string })[]; hasNextPage: boolean }> {
    const after = filter.after ? decodeCursor(filter.after) : null;
    if (after && !isUuid(after.id)) throw badInput('after', 'The cursor is not one this API issued');
    const rows = await readDisputePage(this.deps.em, actor.merchantId, { limit: filter.first + 1, status: filter.status, after });
    return {
      rows: rows
        .slice(0, filter.first)
        .map(({ createdAt, ...dispute }) => ({ ...dispute, cursor: encodeCursor({ createdAt, id: dispute.id }) })),
      hasNextPage: rows.length > filter.first,
    };
  }

  /**
   * Applies the processor's report: the dispute is recorded on its charge (with its DISPUTE
   * transaction, PENDING: the funds withdrawn) the first time it is seen, moved forward after that,
   * and the transaction follows its status (lost: SUCCEEDED, won: CANCELED), all in one transaction.
   * A dispute of a payment that is not ours, or of a bank debit (a return), records nothing.
   */
  private async record(
    reported: ProcessorDispute,
    merchantId: string,
    options: { evidenceSubmitted?: boolean },
  ): Promise<DisputeRecord | null> {
    let result: DisputeRecord | null = null;
    await this.deps.engine.recordWith(async (sql, now) => {
      result = null;
      const found = await lockDisputedCharge(sql, reported.paymentReference);
      if (!found || found.charge.merchantId !== merchantId || found.charge.method === PaymentMethodKind.ACH) return null;
      if (found.charge.status !== TransactionStatus.SUCCEEDED) {
        throw new DisputedChargeNotSettled(
          `The disputed charge ${found.charge.id} is ${found.charge.status}; the dispute is recorded once it succeeded`,
        );
      }
      const existing = await lockDispute(sql, reported.reference);
      const dispute = existing
        ? await this.moveOn(sql, existing, reported, { ...options, invoiceIds: found.allocations.map((a) => a.invoiceId) }, now)
        : await this.open(sql, found, reported, now);
      result = dispute;
      return {
        transactionId: dispute.transactionId,
        report: disputeReport(
          dispute.processorReference,
          dispute.status === DisputeStatus.LOST ? 'lost' : dispute.status === DisputeStatus.WON ? 'won' : 'open',
          dispute.fee,
        ),
      };
    });
    return result;
  }

  private async open(
    sql: Parameters<Parameters<PaymentsEngine['recordWith']>[0]>[0],
    found: DisputedCharge,
    reported: ProcessorDispute,
    now: Date,
  ): Promise<DisputeRecord> {
    const { charge } = found;
    const transaction: NewTransaction = {
      id: randomUUID(),
      merchantId: charge.merchantId,
      customerId: charge.customerId,
      kind: TransactionKind.DISPUTE,
      status: TransactionStatus.PENDING,
      channel: charge.channel,
      method: charge.method,
      amount: reported.amount,
      currency: charge.currency,
      fee: reported.fee,
      cardBrand: charge.cardBrand,
      cardLast4: charge.cardLast4,
      description: `Dispute ${reported.reference} (${reported.reason})`,
      refundOfId: charge.id,
      transactionKey: `dispute:${reported.reference}`,
      requiresManualReconciliation: false,
      settlement: SettlementState.PENDING,
      allocations: disputedAllocations(found, reported.amount),
    };
    const dispute: DisputeRecord = {
      id: randomUUID(),
      merchantId: charge.merchantId,
      chargeId: charge.id,
      transactionId: transaction.id,
      processorReference: reported.reference,
      status: DisputeStatus[reported.status],
      amount: reported.amount,
      fee: reported.fee,
      currency: reported.currency,
      reason: reported.reason,
      evidenceDueBy: reported.evidenceDueBy,
      openedAt: reported.createdAt,
      closedAt: closed(DisputeStatus[reported.status]) ? now : null,
      evidenceSubmittedAt: null,
    };
    const invoiceIds = transaction.allocations.map((a) => a.invoiceId);
    const events: DomainEvent[] = [
      transactionEvent(transaction, 'transaction.created', invoiceIds),
      disputeEvent(dispute, transaction, 'dispute.opened', invoiceIds),
    ];
    const statusEvent = STATUS_EVENT[dispute.status];
    if (statusEvent) events.push(disputeEvent(dispute, transaction, statusEvent, invoiceIds));
    await insertDisputeTransaction(sql, transaction, [], now);
    await insertDispute(sql, dispute, events, now);
    return dispute;
  }

  private async moveOn(
    sql: Parameters<Parameters<PaymentsEngine['recordWith']>[0]>[0],
    existing: DisputeRecord,
    reported: ProcessorDispute,
    options: { evidenceSubmitted?: boolean; invoiceIds: string[] },
    now: Date,
  ): Promise<DisputeRecord> {
    const status = nextDisputeStatus(existing.status, DisputeStatus[reported.status]);
    const dispute: DisputeRecord = {
      ...existing,
      status,
      // A stale report's fee and dates are stale too.
      fee: status === reported.status ? reported.fee : existing.fee,
      reason: reported.reason,
      evidenceDueBy: closed(status) || status === DisputeStatus.UNDER_REVIEW ? null : (reported.evidenceDueBy ?? existing.evidenceDueBy),
      closedAt: existing.closedAt ?? (closed(status) ? now : null),
      evidenceSubmittedAt: existing.evidenceSubmittedAt ?? (options.evidenceSubmitted ? now : null),
    };
    const changed =
      dispute.status !== existing.status ||
      dispute.fee !== existing.fee ||
      dispute.reason !== existing.reason ||
      dispute.evidenceDueBy?.getTime() !== existing.evidenceDueBy?.getTime() ||
      dispute.evidenceSubmittedAt !== existing.evidenceSubmittedAt;
    if (!changed) return existing;
    const statusEvent = dispute.status !== existing.status ? STATUS_EVENT[dispute.status] : undefined;
    const subject = { id: existing.transactionId, merchantId: existing.merchantId };
    const events = statusEvent ? [disputeEvent(dispute, subject, statusEvent, options.invoiceIds)] : [];
    await updateDispute(sql, dispute, events, now);
    return dispute;
  }
}

/** The DISPUTE transaction's share of each invoice: the charge's allocations, less what refunds already took back, up to the disputed amount. */
function disputedAllocations({ allocations, refunded }: DisputedCharge, amount: bigint): Allocation[] {
  const result: Allocation[] = [];
  let left = amount;
  for (const allocation of allocations) {
    const taken = refunded.filter((r) => r.invoiceId === allocation.invoiceId).reduce((sum, r) => sum + r.amount, 0n);
    const share = allocation.amount - taken < left ? allocation.amount - taken : left;
    if (share > 0n) {
      result.push({ invoiceId: allocation.invoiceId, amount: share });
      left -= share;
    }
  }
  return result;
}

/** A dispute's event, on its DISPUTE transaction: partners following payments see it in the transaction stream. */
function disputeEvent(
  dispute: DisputeRecord,
  transaction: { id: string; merchantId: string },
  type: string,
  invoiceIds: string[],
): DomainEvent {
  return {
    merchantId: transaction.merchantId,
    aggregateType: 'transaction',
    aggregateId: transaction.id,
    type,
    payload: {
      invoiceIds,
      kind: TransactionKind.DISPUTE,
      disputeId: dispute.id,
      chargeId: dispute.chargeId,
      disputeStatus: dispute.status,
      amount: dispute.amount,
      fee: dispute.fee,
      currency: dispute.currency,
      reason: dispute.reason,
    },
  };
}

function assertTakesEvidence(status: DisputeStatus): void {
  if (closed(status)) throw new DomainError(ErrorCode.DISPUTE_CLOSED, `This dispute is ${status}: it takes no more evidence`, { status });
  if (status === DisputeStatus.UNDER_REVIEW) {
    throw new DomainError(ErrorCode.DISPUTE_CLOSED, 'Evidence for this dispute was submitted already: it is under review', { status });
  }
}

function checkEvidence(evidence: DisputeEvidence): DisputeEvidence {
  const explanation = evidence.explanation.trim();
  if (!explanation) throw badInput('input.explanation', 'The explanation must not be empty');
  const fields = {
    explanation,
    customerCommunication: evidence.customerCommunication?.trim() || null,
    receipt: evidence.receipt?.trim() || null,
  };
  for (const [field, value] of Object.entries(fields)) {
    if (value && value.length > EVIDENCE_FIELD_MAX)
      throw badInput(`input.${field}`, `${field} may have at most ${EVIDENCE_FIELD_MAX} characters`);
  }
  return { ...fields, submit: evidence.submit };
}
