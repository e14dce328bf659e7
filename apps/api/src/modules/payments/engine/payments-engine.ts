import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../../domain/clock.js';
import { DomainError, ErrorCode } from '../../../domain/errors.js';
import { type FeeSchedule, feeFor } from '../../../domain/fees.js';
import { statusForAmounts } from '../../../domain/invoice-amounts.js';
import { InvoiceStatus, invoiceStateMachine, PaymentChannel, TransactionKind, TransactionStatus } from '../../../domain/statuses.js';
import { isUuid } from '../../../domain/tokens.js';
import { inTransaction, type SqlSession, sessionOf } from '../../../kit/db/sql-session.js';
import { paymentsTotal } from '../../../kit/metrics.js';
import {
  type CreatePaymentRequest,
  type MicrodepositAnswer,
  type PaymentProcessor,
  ProcessorError,
  type ProcessorPayment,
} from '../../../processors/processor.port.js';
import type { MerchantProcessors } from '../../../processors/processor-account.port.js';
import { type ClaimRequest, type ClaimRow, claimDecision, type IdempotencyService } from '../../idempotency/index.js';
import type { DomainEvent } from '../../outbox/index.js';
import {
  findByProcessorReference,
  type InvoiceFacts,
  insertAttempts,
  type LedgerTransaction,
  type NewTransaction,
  type QueuedJob,
  readAmountsAsIf,
  readAwaitingOnInvoice,
  readOutcome,
  readTransactions,
  recordChanges,
} from '../ledger/ledger.js';
import { transactionEvent } from '../ledger/transaction.events.js';
import type { Faults } from './faults.js';
import {
  changeFor,
  offlineReport,
  type ProcessorReport,
  paymentReport,
  refundReport,
  refusedReport,
  STAFF_AUTHENTICATION_MESSAGE,
  statusPath,
} from './outcome.js';

/** What phase 1 found under its locks: the request's key and what an earlier try of it recorded. */
export interface Begun {
  claim: { request: ClaimRequest; row: ClaimRow | null };
  /** Attempts an earlier try of this request recorded (its key released after an unknown outcome, or its holder died). */
  existing: LedgerTransaction[];
  /** Attempts on the same invoices that wait for their customer's action: canceled before this one starts. */
  awaitingAction?: string[];
  /**
   * Decides what to record now, or refuses with a coded error (which becomes the key's outcome).
   * Called only when the key is this request's and nothing was recorded for it yet.
   */
  plan(): Planned | Promise<Planned>;
}

export interface Planned {
  transactions: NewTransaction[];
  /** Default: a `transaction.created` event each. */
  events?: DomainEvent[];
  /** More of the request's own writes, in the same transaction, once its attempts are recorded (a credit memo marked refunded). */
  afterRecorded?(sql: SqlSession): Promise<void>;
  /**
   * Money that moved outside any processor (a check, cash): its answer is known now, and is
   * recorded in the same transaction, so the attempt is never seen PENDING.
   */
  answeredNow?: ProcessorReport;
}

/** One request that moves money. */
export interface MoneyRequest {
  /** Phase 1, inside the engine's transaction: lock what the decision depends on, read, and return what was found. */
  begin(sql: SqlSession, now: Date): Promise<Begun>;
  /** What the key stores as this request's outcome (a transaction's id, a credit memo's id). */
  result(transactions: readonly LedgerTransaction[]): string;
}

/** A request's answer: the transactions as they ended, or the outcome an earlier request with the same key stored. */
export type MoneyOutcome = { kind: 'completed'; transactions: LedgerTransaction[]; result: string } | { kind: 'replayed'; result: string };

export interface EngineDeps {
  em: EntityManager;
  clock: Clock;
  /** Each merchant's calls go to its own account at the processor. */
  processors: MerchantProcessors;
  fees: FeeSchedule;
  faults: Faults;
  idempotency: IdempotencyService;
}

interface OutcomeOptions {
  /** The request's key, completed with its result in the outcome's own transaction. */
  claim?: { request: ClaimRequest; result: string } | null;
}

const IN_FLIGHT = new Set([TransactionStatus.PENDING, TransactionStatus.PROCESSING]);

/**
 * The one attempt engine, for every way money moves. Each request runs in three phases:
 *   1. begin: under the row locks of what it depends on (invoices, the charge refunded), decide and
 *      record the attempt PENDING, with the request's idempotency claim, its allocations (which count
 *      as in flight, so a concurrent attempt sees nothing payable) and its outbox events;
 *   2. call the processor, outside any DB transaction, with a key derived from the attempt's id;
 *   3. record the outcome under the locks again: the transaction's status, the invoices' statuses,
 *      the events, the key's outcome, the receipt.
 * An unknown outcome (a crash, a timeout) leaves the attempt PENDING; the recovery job asks the
 * processor again with the same key, and webhooks report what changed later. Both go through the
 * same step 3 (recordOutcome), which is safe to repeat and ignores stale reports.
 */
export class PaymentsEngine {
  constructor(private readonly deps: EngineDeps) {}

  async run(request: MoneyRequest): Promise<MoneyOutcome> {
    const held: { claim?: ClaimRequest } = {};
    let begun: Awaited<ReturnType<PaymentsEngine['begin']>>;
    for (let round = 1; ; round++) {
      try {
        begun = await this.begin(request, held);
        break;
      } catch (error) {
        if (error instanceof SupersedeFirst) {
          if (round >= MAX_SUPERSEDE_ROUNDS) {
            throw new DomainError(
              ErrorCode.PAYMENT_IN_PROGRESS,
              'An earlier payment attempt on this invoice is still being settled; retry shortly',
              {},
              true,
            );
          }
          await this.cancelAwaiting(error.transactionIds);
          continue;
        }
        if (error instanceof ClaimRefusal) throw error.cause;
        // A refusal is the key's outcome: a replay of the request answers it again.
        if (held.claim && error instanceof DomainError && !error.retryable) await this.deps.idempotency.storeRefusal(held.claim, error);
        throw error;
      }
    }
    const claim = held.claim!;
    if (begun === 'replay') return { kind: 'replayed', result: await this.deps.idempotency.awaitOutcome(claim) };
    if ('answered' in begun) return { kind: 'completed', transactions: begun.answered, result: request.result(begun.answered) };

    const attempts = begun.drive;
    this.deps.faults.reached('after-begin');
    const result = request.result(attempts);
    // One attempt: its outcome and the key's commit together. Several (a refund spread over payments): the key completes after the last.
    const single = attempts.length === 1;
    const ended: LedgerTransaction[] = [];
    for (const attempt of attempts) ended.push(await this.drive(attempt, claim, single ? { claim: { request: claim, result } } : {}));
    if (!single) await this.deps.idempotency.complete(claim, result);
    return { kind: 'completed', transactions: ended, result };
  }

  /**
   * Phase 1 in one transaction: the flow locks and reads; the key is claimed and the attempts
   * recorded, or the request is another's to answer ('replay'). An attempt waiting for its
   * customer's action on the same invoices must be canceled first (SupersedeFirst): at most one
   * attempt per invoice can ever capture.
   */
  private async begin(request: MoneyRequest, held: { claim?: ClaimRequest }) {
    const now = this.deps.clock.now();
    return inTransaction(this.deps.em, async (sql): Promise<{ drive: LedgerTransaction[] } | { answered: LedgerTransaction[] }> => {
      const found = await request.begin(sql, now);
      const claim = (held.claim = found.claim.request);
      if (this.claimDecisionOf(found, now) !== 'claim') throw new KeyHeldElsewhere();
      if (found.existing.length) {
        if (!(await insertAttempts(sql, claim, [], [], now)).claimed) throw new KeyHeldElsewhere();
        return { drive: found.existing };
      }
      if (found.awaitingAction?.length) throw new SupersedeFirst(found.awaitingAction);
      const planned = await found.plan();
      const { claimed } = await insertAttempts(
        sql,
        claim,
        planned.transactions,
        planned.events ?? this.createdEvents(planned.transactions),
        now,
      );
      // Lost to a concurrent request with the same key: nothing of this one may commit.
      if (!claimed) throw new KeyHeldElsewhere();
      await planned.afterRecorded?.(sql);
      const attempts = planned.transactions.map((t) => recorded(t, now));
      if (!planned.answeredNow) return { drive: attempts };
      const result = request.result(attempts);
      const options = attempts.length === 1 ? { claim: { request: claim, result } } : {};
      const answered: LedgerTransaction[] = [];
      for (const attempt of attempts) answered.push(await this.applyOutcome(sql, attempt.id, planned.answeredNow, options));
      if (attempts.length > 1)
        await recordChanges(sql, { transactions: [], invoices: [], events: [], claim: { request: claim, result }, jobs: [] }, now);
      return { answered };
    }).catch((error: unknown) => {
      if (error instanceof KeyHeldElsewhere) return 'replay' as const;
      throw error;
    });
  }

  /** Cancels the attempts on an invoice that wait for their customer's action (before the invoice is voided or edited). */
  async cancelAwaitingOnInvoice(invoiceId: string): Promise<void> {
    await this.cancelAwaiting(await readAwaitingOnInvoice(sessionOf(this.deps.em.fork()), invoiceId));
  }

  /** Cancels, at the processor, attempts that wait for their customer's action, and records what became of them. */
  private async cancelAwaiting(transactionIds: readonly string[]): Promise<void> {
    for (const transaction of await readTransactions(sessionOf(this.deps.em.fork()), transactionIds)) {
      if (transaction.status === TransactionStatus.REQUIRES_ACTION) await this.cancelAtProcessor(transaction);
    }
  }

  /**
   * An attempt waiting for its customer's action is canceled at the processor, so that it can never
   * capture; the processor answers how it ended (SUCCEEDED when the customer completed it first).
   */
  private async cancelAtProcessor(transaction: LedgerTransaction): Promise<LedgerTransaction> {
    let payment: ProcessorPayment;
    try {
      payment = await (await this.deps.processors.of(transaction.merchantId)).cancelPayment(transaction.processorReference!);
    } catch (error) {
      if (error instanceof ProcessorError && !error.retryable) throw error;
      throw new DomainError(
        ErrorCode.PROCESSOR_UNAVAILABLE,
        'The payment processor did not answer; please retry',
        { transactionId: transaction.id },
        true,
      );
    }
    return this.recordOutcome(transaction.id, paymentReport(payment));
  }

  /**
   * The customer acted (3-D Secure completed or failed, micro-deposits verified) or the page asks
   * again: the attempt's state is read back from the processor and recorded. Safe to repeat, and to
   * race a webhook reporting the same.
   */
  async completeAction(transaction: LedgerTransaction): Promise<LedgerTransaction> {
    if (!transaction.processorReference || transaction.kind !== TransactionKind.CHARGE) return transaction;
    return this.recordOutcome(transaction.id, await this.ask(transaction));
  }

  /**
   * The customer's answer to a bank account's micro-deposits, checked at the processor (outside any
   * transaction) and recorded: PROCESSING once verified, FAILED after too many wrong answers. A wrong
   * answer that leaves the payment waiting changes nothing here and comes back as `mismatch`.
   */
  async verifyMicrodeposits(
    transaction: LedgerTransaction,
    answer: MicrodepositAnswer,
  ): Promise<{ transaction: LedgerTransaction; mismatch: { attemptsRemaining: number | null } | null }> {
    let verification: Awaited<ReturnType<PaymentProcessor['verifyMicrodeposits']>>;
    try {
      verification = await (await this.deps.processors.of(transaction.merchantId)).verifyMicrodeposits(
        transaction.processorReference!,
        answer,
      );
    } catch (error) {
      if (error instanceof ProcessorError && !error.retryable) throw new DomainError(ErrorCode.BAD_USER_INPUT, error.message, {});
      throw new DomainError(
        ErrorCode.PROCESSOR_UNAVAILABLE,
        'The payment processor did not answer; please retry',
        { transactionId: transaction.id },
        true,
      );
    }
    return { transaction: await this.recordOutcome(transaction.id, paymentReport(verification.payment)), mismatch: verification.mismatch };
  }

  /** An attempt whose customer never acted, past the setting's delay: canceled, so that it never captures later. */
  async cancelAbandoned(transactionId: string): Promise<LedgerTransaction> {
    const [transaction] = await readTransactions(sessionOf(this.deps.em.fork()), [transactionId]);
    if (!transaction || transaction.status !== TransactionStatus.REQUIRES_ACTION) return transaction;
    return this.cancelAtProcessor(transaction);
  }

  /**
   * Before a request does any work of its own (describing its card is a processor call): the
   * outcome of an earlier request with the same key, replayed from our database alone (the
   * processor may be down), or waited for while that request is still running. Null: the key is
   * this request's to use. Phase 1 checks the key again under its locks.
   */
  async replayIfAnswered(request: ClaimRequest, row: ClaimRow | null): Promise<string | null> {
    if (claimDecision(row, request, this.deps.clock.now()) === 'claim') return null;
    return this.deps.idempotency.awaitOutcome(request);
  }

  /**
   * Step 3: brings a transaction in line with a processor's report. Safe to repeat: a stale report
   * changes nothing. The invoices are not locked: their status is written at the version the
   * amounts were read at, and if another writer moved an invoice on meanwhile, the step runs again
   * on what it wrote.
   */
  async recordOutcome(transactionId: string, report: ProcessorReport, options: OutcomeOptions = {}): Promise<LedgerTransaction> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.deps.em, (sql) => this.applyOutcome(sql, transactionId, report, options));
      } catch (error) {
        if (!(error instanceof InvoiceMovedOn) || attempt >= MAX_OUTCOME_ATTEMPTS) throw error;
      }
    }
  }

  /** Step 3 inside the caller's transaction; throws InvoiceMovedOn when an invoice changed since its amounts were read. */
  private async applyOutcome(
    sql: SqlSession,
    transactionId: string,
    report: ProcessorReport,
    options: OutcomeOptions,
  ): Promise<LedgerTransaction> {
    const now = this.deps.clock.now();
    const facts = await readOutcome(sql, transactionId, report.status);
    if (!facts) throw new Error(`No transaction ${transactionId}`);
    const { transaction, charge } = facts;
    const path = statusPath(transaction.kind, transaction.status, report.status);
    const change = changeFor(transaction, report, path, { fees: this.deps.fees, now, charge });
    const after: LedgerTransaction = { ...transaction, ...change, updatedAt: now };
    if (!path.length) {
      const referenceLearnt = change.processorReference !== transaction.processorReference;
      if (referenceLearnt || options.claim) {
        await recordChanges(
          sql,
          { transactions: referenceLearnt ? [change] : [], invoices: [], events: [], claim: options.claim, jobs: [] },
          now,
        );
      }
      return referenceLearnt ? after : transaction;
    }
    const final = path[path.length - 1];
    // The read counted the amounts as if the transaction had the reported status; a return reported as a failure ends elsewhere.
    const invoices =
      final === report.status
        ? facts.invoices
        : await readAmountsAsIf(
            sql,
            facts.invoices.map((i) => i.id),
            transaction.id,
            final,
          );
    const invoiceIds = invoices.map((invoice) => invoice.id);
    const events: DomainEvent[] = [];
    if (transaction.kind === TransactionKind.REFUND && final === TransactionStatus.SUCCEEDED && charge) {
      events.push(
        transactionEvent(charge, 'transaction.refunded', invoiceIds, { refundId: transaction.id, refundedAmount: transaction.amount }),
      );
    }
    for (const step of path) events.push(transactionEvent({ ...after, status: step }, `transaction.${step.toLowerCase()}`, invoiceIds));
    const { statuses, reopened } = this.invoiceStatuses(invoices, transaction.merchantId, events);
    const written = await recordChanges(
      sql,
      { transactions: [change], invoices: statuses, events, claim: options.claim, jobs: this.jobsFor(after, reopened) },
      now,
    );
    if (!written) throw new InvoiceMovedOn();
    this.deps.faults.reached('before-outcome');
    // Counted as the step writes it (a commit failing after this is the rare miscount).
    if (transaction.kind === TransactionKind.CHARGE) {
      paymentsTotal.inc({ channel: after.channel, method: after.method ?? 'unknown', outcome: final.toLowerCase() });
    }
    return after;
  }

  /**
   * Step 3 for a transaction the processor changed by itself (a dispute's), with the caller's own
   * writes in the same database transaction: `write` records what it knows (the dispute) and names
   * the transaction and its report, or null for nothing more. Run again from the start when an
   * invoice moved on meanwhile, like recordOutcome.
   */
  async recordWith(
    write: (sql: SqlSession, now: Date) => Promise<{ transactionId: string; report: ProcessorReport } | null>,
  ): Promise<LedgerTransaction | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.deps.em, async (sql) => {
          const found = await write(sql, this.deps.clock.now());
          return found ? this.applyOutcome(sql, found.transactionId, found.report, {}) : null;
        });
      } catch (error) {
        if (!(error instanceof InvoiceMovedOn) || attempt >= MAX_OUTCOME_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * A webhook or the sandbox says a payment of a merchant's account changed: re-read it there (the
   * payload is only a hint). A payment that is not one of this merchant's changes nothing.
   */
  async syncPayment(reference: string, merchantId: string): Promise<LedgerTransaction | null> {
    let payment: ProcessorPayment;
    try {
      payment = await (await this.deps.processors.of(merchantId)).retrievePayment(reference);
    } catch (error) {
      // No such payment in this merchant's account (an event about another's object): nothing to record.
      if (error instanceof ProcessorError && !error.retryable) return null;
      throw error;
    }
    const id = payment.metadata.transactionId;
    const transaction = isUuid(id ?? '')
      ? (await readTransactions(sessionOf(this.deps.em.fork()), [id!]))[0]
      : await findByProcessorReference(sessionOf(this.deps.em.fork()), reference, TransactionKind.CHARGE);
    return transaction?.merchantId === merchantId ? this.recordOutcome(transaction.id, paymentReport(payment)) : null;
  }

  /** A refund webhook (an ACH refund paid out or failed days later). A refund we do not know yet is left to recovery. */
  async syncRefund(reference: string, merchantId: string): Promise<LedgerTransaction | null> {
    const refund = await findByProcessorReference(sessionOf(this.deps.em.fork()), reference, TransactionKind.REFUND);
    if (refund?.merchantId !== merchantId) return null;
    return this.recordOutcome(refund.id, refundReport(await (await this.deps.processors.of(merchantId)).retrieveRefund(reference)));
  }

  /** Recovery of an attempt left PENDING (or PROCESSING with a missed webhook): ask the processor again, with the same key. */
  async recover(transactionId: string): Promise<LedgerTransaction> {
    const [transaction] = await readTransactions(sessionOf(this.deps.em.fork()), [transactionId]);
    if (!transaction) throw new Error(`No transaction ${transactionId}`);
    return this.recordOutcome(transaction.id, await this.ask(transaction));
  }

  /** Phase 2 and 3 for one attempt of a request. An unknown outcome frees the key for a retry. */
  private async drive(attempt: LedgerTransaction, claim: ClaimRequest, options: OutcomeOptions): Promise<LedgerTransaction> {
    if (!IN_FLIGHT.has(attempt.status) || (attempt.status === TransactionStatus.PROCESSING && attempt.kind === TransactionKind.CHARGE)) {
      // Already answered (recovery or a webhook got there first), waiting for its customer, or in
      // flight at the processor (ACH, a reader): nothing to call.
      return options.claim ? this.recordOutcome(attempt.id, noNews(attempt), options) : attempt;
    }
    let report: ProcessorReport;
    try {
      report = await this.ask(attempt);
      this.deps.faults.reached('after-processor');
    } catch (error) {
      if (error instanceof ProcessorError && !error.retryable) {
        report = refusedReport(error.code, error.message);
      } else {
        await this.deps.idempotency.release(claim);
        const what = attempt.kind === TransactionKind.REFUND ? 'the refund' : 'the payment';
        throw new DomainError(
          ErrorCode.PROCESSOR_UNAVAILABLE,
          `The payment processor did not answer; ${what} is being confirmed. Retry with the same idempotency key.`,
          { transactionId: attempt.id },
          true,
        );
      }
    }
    if (report.status === TransactionStatus.REQUIRES_ACTION && attempt.channel !== PaymentChannel.PAYMENT_LINK) {
      // Only the customer can act, and only on the pay page: staff's attempt is canceled so that it
      // never captures, and fails as the issuer asked for authentication.
      const canceled = paymentReport(await (await this.deps.processors.of(attempt.merchantId)).cancelPayment(report.reference!));
      report =
        canceled.status === TransactionStatus.CANCELED ? refusedReport('AUTHENTICATION_REQUIRED', STAFF_AUTHENTICATION_MESSAGE) : canceled;
    }
    return this.recordOutcome(attempt.id, report, options);
  }

  /** The processor's answer for an attempt: made now with the attempt's key, or read back if it has a reference already. */
  private async ask(transaction: LedgerTransaction): Promise<ProcessorReport> {
    const processor = await this.deps.processors.of(transaction.merchantId);
    const key = `txn_${transaction.id}`;
    // The platform's fee, taken by the processor from the charge on the merchant's account.
    const applicationFee = feeFor(transaction.method, transaction.amount, this.deps.fees) || null;
    const metadata = { transactionId: transaction.id, merchantId: transaction.merchantId };
    if (transaction.kind === TransactionKind.REFUND) {
      const [charge] = await readTransactions(sessionOf(this.deps.em.fork()), [transaction.refundOfId!]);
      if (charge.channel === PaymentChannel.OFFLINE || !charge.processorReference) return offlineReport;
      if (transaction.processorReference) return refundReport(await processor.retrieveRefund(transaction.processorReference));
      return refundReport(
        await processor.refund({
          idempotencyKey: key,
          paymentReference: charge.processorReference,
          amount: transaction.amount,
          metadata: { ...metadata, refundOf: charge.id },
        }),
      );
    }
    if (transaction.channel === PaymentChannel.OFFLINE) return offlineReport;
    if (transaction.processorReference) return paymentReport(await processor.retrievePayment(transaction.processorReference));
    if (transaction.terminalReader) {
      return paymentReport(
        await processor.collectOnReader({
          idempotencyKey: key,
          readerReference: transaction.terminalReader,
          amount: transaction.amount,
          currency: transaction.currency,
          description: transaction.description,
          metadata,
          applicationFee,
        }),
      );
    }
    return paymentReport(
      await processor.createPayment({
        idempotencyKey: key,
        amount: transaction.amount,
        currency: transaction.currency,
        paymentMethod: transaction.paymentMethodReference!,
        customerReference: transaction.processorCustomerReference,
        description: transaction.description,
        metadata,
        mandate: transaction.achMandate,
        initiatedBy: initiatorOf(transaction),
        applicationFee,
      }),
    );
  }

  private claimDecisionOf(begun: Begun, now: Date) {
    try {
      return claimDecision(begun.claim.row, begun.claim.request, now);
    } catch (error) {
      // The key is another request's: its refusal (IDEMPOTENCY_KEY_REUSED) is not this key's outcome.
      throw new ClaimRefusal(error as DomainError);
    }
  }

  private createdEvents(transactions: readonly NewTransaction[]): DomainEvent[] {
    return transactions.map((t) =>
      transactionEvent(
        t,
        'transaction.created',
        t.allocations.map((a) => a.invoiceId),
      ),
    );
  }

  /**
   * Every invoice the transaction is allocated to, at its status for the new amounts (a sent one's
   * may change; a draft or void one keeps its status), with the version it was read at.
   */
  private invoiceStatuses(invoices: InvoiceFacts[], merchantId: string, events: DomainEvent[]) {
    const statuses: { id: string; status: InvoiceStatus; version: number }[] = [];
    const reopened: string[] = [];
    for (const invoice of invoices) {
      const next =
        invoice.status === InvoiceStatus.DRAFT || invoice.status === InvoiceStatus.VOID
          ? invoice.status
          : statusForAmounts(invoice.amounts);
      statuses.push({ id: invoice.id, status: next, version: invoice.version });
      if (next === invoice.status) continue;
      invoiceStateMachine.assertTransition(invoice.status, next);
      if (invoice.status === InvoiceStatus.PAID) reopened.push(invoice.id);
      events.push({
        merchantId,
        aggregateType: 'invoice',
        aggregateId: invoice.id,
        type: 'invoice.status_changed',
        payload: { from: invoice.status, to: next, amountDue: invoice.amounts.due },
      });
    }
    return { statuses, reopened };
  }

  /** The receipt for a charge that succeeded or is on its way (ACH), and a new link for an invoice that reopened. */
  private jobsFor(transaction: LedgerTransaction, reopened: string[]): QueuedJob[] {
    // A lost dispute took the customer's payment back: the customer is sent a new link at once.
    const newLink = transaction.kind === TransactionKind.DISPUTE;
    const jobs: QueuedJob[] = reopened.map((invoiceId) => ({
      name: 'invoice-reopened',
      payload: { invoiceId, newLink },
      maxAttempts: 25,
      jobKey: `invoice-reopened:${invoiceId}`,
    }));
    const receipt =
      transaction.kind === TransactionKind.CHARGE &&
      transaction.channel !== PaymentChannel.OFFLINE &&
      transaction.customerId &&
      (transaction.status === TransactionStatus.SUCCEEDED || transaction.status === TransactionStatus.PROCESSING);
    if (receipt) {
      jobs.push({
        name: 'send-receipt',
        payload: { transactionId: transaction.id, status: transaction.status },
        maxAttempts: 12,
        jobKey: `receipt:${transaction.id}:${transaction.status}`,
      });
    }
    return jobs;
  }
}

/** An invoice changed since the outcome read its amounts: the outcome's transaction rolls back and runs again. */
class InvoiceMovedOn extends Error {}

/** Outcomes racing other writers of the same invoices: each retry sees what the others committed. */
const MAX_OUTCOME_ATTEMPTS = 10;

/** Attempts waiting for their customer's action must be canceled before the request begins again. */
class SupersedeFirst extends Error {
  constructor(readonly transactionIds: string[]) {
    super('attempts awaiting their customer must be canceled first');
  }
}

/** Rounds of canceling an abandoned attempt and beginning again, before the request gives up (retryable). */
const MAX_SUPERSEDE_ROUNDS = 3;

/** The key is held or completed by another request: roll back, and replay that request's outcome. */
class KeyHeldElsewhere extends Error {}

/** A claim decision's refusal, carried out of the begin transaction without becoming the key's outcome. */
class ClaimRefusal extends Error {
  constructor(override readonly cause: DomainError) {
    super(cause.message);
  }
}

/**
 * Who starts a charge, for the processor's authentication rules: the customer on the pay page, a
 * saved card charged while the customer is away (off session), or staff keying a card the customer
 * gave by mail or phone (MOTO).
 */
function initiatorOf(transaction: LedgerTransaction): CreatePaymentRequest['initiatedBy'] {
  if (transaction.channel === PaymentChannel.PAYMENT_LINK) return 'customer';
  return transaction.processorCustomerReference ? 'off_session' : 'merchant';
}

/** A report that changes nothing: completes a key whose attempt was already answered. */
function noNews(transaction: LedgerTransaction): ProcessorReport {
  return {
    reference: transaction.processorReference,
    status: transaction.status as ProcessorReport['status'],
    nextAction: null,
    authorizationCode: null,
    paymentMethod: null,
    failure: null,
    fee: null,
  };
}

/** The attempt as phase 1 recorded it. */
function recorded(t: NewTransaction, now: Date): LedgerTransaction {
  return {
    id: t.id,
    kind: t.kind,
    status: t.status,
    channel: t.channel,
    method: t.method,
    amount: t.amount,
    currency: t.currency,
    fee: t.fee ?? null,
    authorizationCode: t.authorizationCode ?? null,
    settlement: t.settlement,
    settledAt: t.settledAt ?? null,
    settlementReference: null,
    requiresManualReconciliation: t.requiresManualReconciliation,
    reconciledAt: null,
    reconciledBy: null,
    failureCode: null,
    failureMessage: null,
    createdAt: now,
    customerId: t.customerId,
    refundOfId: t.refundOfId ?? null,
    cardBrand: t.cardBrand ?? null,
    cardLast4: t.cardLast4 ?? null,
    updatedAt: now,
    merchantId: t.merchantId,
    processorReference: null,
    paymentMethodReference: t.paymentMethodReference ?? null,
    processorCustomerReference: t.processorCustomerReference ?? null,
    terminalReader: t.terminalReader ?? null,
    achMandate: t.achMandate ?? null,
    description: t.description ?? null,
    creditMemoId: t.creditMemoId ?? null,
    transactionKey: t.transactionKey,
    nextAction: null,
  };
}
