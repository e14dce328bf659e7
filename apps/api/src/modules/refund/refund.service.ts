import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { lockRow, lockRows } from '../../db/locking.js';
import type { Clock } from '../../domain/clock.js';
import { DomainError, ErrorCode, badInput, notFound } from '../../domain/errors.js';
import {
  InvoiceStatus,
  PaymentChannel,
  SettlementState,
  TransactionKind,
  TransactionStatus,
} from '../../domain/statuses.js';
import { isUuid } from '../../domain/tokens.js';
import { ProcessorError, type PaymentProcessor, type ProcessorRefund } from '../../processors/processor.port.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import { Invoice } from '../invoice/invoice.entity.js';
import type { InvoiceService } from '../invoice/invoice.service.js';
import type { MerchantActor } from '../merchant/actor.js';
import { recordEvent } from '../outbox/outbox.service.js';
import { Transaction, TransactionAllocation } from '../transaction/transaction.entity.js';
import { CreditMemo } from './credit-memo.entity.js';
import { transactionEvent } from '../transaction/transaction.events.js';

/** Refunds that still hold money back: a failed or canceled one gives its amount back. */
const LIVE_REFUND = [TransactionStatus.PENDING, TransactionStatus.PROCESSING, TransactionStatus.SUCCEEDED];

interface PlannedRefund {
  charge: Transaction;
  amount: bigint;
  /** Where the money is taken back from: the charge's invoices. */
  allocations: { invoice: Invoice; amount: bigint }[];
}

export interface CreateCreditMemo {
  invoiceId: string;
  amount: bigint;
  reason: string;
}

function refundStatus(processorStatus: ProcessorRefund['status']): TransactionStatus {
  switch (processorStatus) {
    case 'SUCCEEDED':
      return TransactionStatus.SUCCEEDED;
    case 'PENDING':
      return TransactionStatus.PROCESSING;
    case 'CANCELED':
      return TransactionStatus.CANCELED;
    default:
      return TransactionStatus.FAILED;
  }
}

/**
 * Full refunds of a payment (refundTransaction) and partial ones through credit memos. Like
 * payments: the refund is recorded PENDING under row locks (the charge, its invoices), the processor
 * is called outside any transaction with a key derived from the refund's id, and the outcome is
 * recorded under the locks again. A PENDING refund already holds its amount back, so concurrent
 * refunds can never add up to more than was captured.
 */
export class RefundService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly processor: PaymentProcessor,
    private readonly invoices: InvoiceService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /** Refunds what is left of a succeeded charge. A second refund answers ALREADY_REFUNDED, without a processor call. */
  async refundTransaction(actor: MerchantActor, chargeId: string, idempotencyKey: string): Promise<Transaction> {
    const id = await this.idempotency.run(`merchant:${actor.merchantId}`, idempotencyKey, 'refundTransaction', { chargeId }, async () => {
      const refunds = await this.begin(actor, `refund:${idempotencyKey}`, null, async (tx) => {
        const charge = await this.lockCharge(tx, actor, chargeId);
        const live = await tx.find(Transaction, { refundOf: charge, status: { $in: LIVE_REFUND } });
        const remaining = charge.amount - live.reduce((sum, r) => sum + r.amount, 0n);
        if (live.some((refund) => !refund.creditMemo) || remaining <= 0n) {
          throw new DomainError(ErrorCode.ALREADY_REFUNDED, 'A refund has already been issued for this payment');
        }
        return [{ charge, amount: remaining, allocations: await this.unrefundedAllocations(tx, charge, remaining) }];
      });
      await this.execute(refunds);
      return refunds[0].id;
    });
    return this.em.fork().findOneOrFail(Transaction, { id });
  }

  async createCreditMemo(actor: MerchantActor, input: CreateCreditMemo): Promise<CreditMemo> {
    if (input.amount <= 0n) throw badInput('amount', 'amount must be above zero');
    const reason = input.reason.trim();
    if (!reason) throw badInput('reason', 'reason must not be empty');
    return this.em.transactional(async (tx) => {
      const invoice = await this.invoices.lockOwned(tx, actor, input.invoiceId);
      if (invoice.status === InvoiceStatus.VOID) throw new DomainError(ErrorCode.INVOICE_VOID, `Invoice ${invoice.number} is void`);
      if (invoice.status === InvoiceStatus.DRAFT) throw new DomainError(ErrorCode.INVOICE_NOT_SENT, `Invoice ${invoice.number} has not been sent yet: edit its lines instead`);
      const amounts = await this.invoices.amounts(tx, invoice);
      const creditable = amounts.total - amounts.credited;
      if (input.amount > creditable) {
        throw new DomainError(ErrorCode.AMOUNT_EXCEEDS_CREDITABLE, `At most ${creditable} minor units can still be credited on invoice ${invoice.number}`, { field: 'amount', creditable: creditable.toString() });
      }
      const now = this.clock.now();
      const memo = tx.create(CreditMemo, { merchant: actor.merchantId, invoice, amount: input.amount, reason, createdAt: now });
      recordEvent(tx, { merchantId: actor.merchantId, aggregateType: 'credit_memo', aggregateId: memo.id, type: 'credit_memo.created', payload: { invoiceId: invoice.id, amount: input.amount } }, now);
      await tx.flush();
      await this.invoices.refreshStatus(tx, invoice, now);
      return memo;
    });
  }

  /**
   * The partial refund: returns the memo's amount against the invoice's succeeded payments (newest
   * first, over several if one is not enough). Only money paid beyond what is still owed can go
   * back, so the refund never raises the amount due (credit and refund cancel out).
   */
  async issueCreditMemoRefund(actor: MerchantActor, memoId: string, idempotencyKey: string): Promise<CreditMemo> {
    await this.idempotency.run(`merchant:${actor.merchantId}`, idempotencyKey, 'issueCreditMemoRefund', { memoId }, async () => {
      const refunds = await this.begin(actor, `memo:${idempotencyKey}`, memoId, async (tx) => {
        const found = isUuid(memoId) ? await tx.findOne(CreditMemo, { id: memoId, merchant: actor.merchantId }) : null;
        if (!found) throw notFound('credit memo', 'creditMemoId');
        const invoice = await this.invoices.lockOwned(tx, actor, found.invoice.id);
        const memo = await tx.findOneOrFail(CreditMemo, { id: memoId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (memo.refundIssuedAt) throw new DomainError(ErrorCode.ALREADY_REFUNDED, 'A refund has already been issued for this credit memo');
        const amounts = await this.invoices.amounts(tx, invoice);
        const pendingBack = await this.liveRefundsOnInvoice(tx, invoice, [TransactionStatus.PENDING, TransactionStatus.PROCESSING]);
        const overpaid = amounts.paid - pendingBack + amounts.credited - amounts.total;
        if (memo.amount > overpaid) {
          throw new DomainError(ErrorCode.NOTHING_TO_REFUND, 'The invoice has not been paid beyond what it still owes: this memo stands as a credit', { refundable: (overpaid > 0n ? overpaid : 0n).toString() });
        }
        memo.refundIssuedAt = this.clock.now();
        return this.spreadOverPayments(tx, invoice, memo.amount);
      });
      await this.execute(refunds);
      // Every refund failed at the processor: the memo may be refunded again.
      const outcomes = await this.em.fork().find(Transaction, { id: { $in: refunds.map((r) => r.id) } });
      if (outcomes.every((r) => r.status === TransactionStatus.FAILED || r.status === TransactionStatus.CANCELED)) {
        await this.em.fork().nativeUpdate(CreditMemo, { id: memoId }, { refundIssuedAt: null });
      }
      return memoId;
    });
    return this.em.fork().findOneOrFail(CreditMemo, { id: memoId });
  }

  /**
   * A refund webhook (an ACH refund paid out or failed days later): re-reads the refund at the
   * processor and records its outcome. Safe to repeat; a refund we do not know yet is left to recovery.
   */
  async syncFromProcessor(refundReference: string): Promise<Transaction | null> {
    const refund = await this.em.fork().findOne(Transaction, { processorReference: refundReference, kind: TransactionKind.REFUND });
    return refund ? this.recover(refund.id) : null;
  }

  /** Recovery of a refund left PENDING: ask the processor with the same key. */
  async recover(refundId: string): Promise<Transaction> {
    const refund = await this.em.fork().findOneOrFail(Transaction, { id: refundId }, { populate: ['refundOf'] });
    await this.execute([refund]);
    return this.em.fork().findOneOrFail(Transaction, { id: refundId });
  }

  private async lockCharge(tx: EntityManager, actor: MerchantActor, chargeId: string): Promise<Transaction> {
    const charge = isUuid(chargeId) ? await tx.findOne(Transaction, { id: chargeId, merchant: actor.merchantId }) : null;
    if (!charge) throw notFound('transaction', 'id');
    if (charge.kind === TransactionKind.REFUND) throw new DomainError(ErrorCode.NOT_REFUNDABLE, 'A refund cannot itself be refunded', { field: 'id' });
    if (charge.status !== TransactionStatus.SUCCEEDED) {
      throw new DomainError(ErrorCode.NOT_REFUNDABLE, `Only a succeeded payment can be refunded; this one is ${charge.status}`, { field: 'id', status: charge.status });
    }
    const allocations = await tx.find(TransactionAllocation, { transaction: charge });
    await this.lockInvoices(tx, allocations.map((a) => a.invoice.id));
    return (await lockRow(tx, Transaction, { id: charge.id }, ['customer', 'merchant']))!;
  }

  private async lockInvoices(tx: EntityManager, ids: string[]): Promise<Invoice[]> {
    if (!ids.length) return [];
    return lockRows(tx, Invoice, { id: { $in: ids } }, { orderBy: { id: 'asc' }, populate: ['merchant'] });
  }

  /** The charge's allocations less what live refunds already took back from each invoice. */
  private async unrefundedAllocations(tx: EntityManager, charge: Transaction, amount: bigint): Promise<PlannedRefund['allocations']> {
    const allocations = await tx.find(TransactionAllocation, { transaction: charge }, { populate: ['invoice'] });
    const takenBack = await tx.find(TransactionAllocation, { transaction: { refundOf: charge, status: { $in: LIVE_REFUND } } });
    const result: PlannedRefund['allocations'] = [];
    let left = amount;
    for (const allocation of allocations) {
      const already = takenBack.filter((t) => t.invoice.id === allocation.invoice.id).reduce((sum, t) => sum + t.amount, 0n);
      const share = allocation.amount - already < left ? allocation.amount - already : left;
      if (share > 0n) result.push({ invoice: allocation.invoice, amount: share });
      left -= share > 0n ? share : 0n;
    }
    return result;
  }

  private async liveRefundsOnInvoice(tx: EntityManager, invoice: Invoice, statuses: TransactionStatus[]): Promise<bigint> {
    const rows = await tx.find(TransactionAllocation, { invoice, transaction: { kind: TransactionKind.REFUND, status: { $in: statuses } } });
    return rows.reduce((sum, row) => sum + row.amount, 0n);
  }

  /** Picks the invoice's succeeded payments, newest first, until the amount is covered. */
  private async spreadOverPayments(tx: EntityManager, invoice: Invoice, amount: bigint): Promise<PlannedRefund[]> {
    const paid = await tx.find(
      TransactionAllocation,
      { invoice, transaction: { kind: TransactionKind.CHARGE, status: TransactionStatus.SUCCEEDED } },
      { populate: ['transaction'], orderBy: { transaction: { createdAt: 'desc' } } },
    );
    const charges = await lockRows(tx, Transaction, { id: { $in: paid.map((a) => a.transaction.id).sort() } }, { orderBy: { id: 'asc' }, populate: ['customer', 'merchant'] });
    const plans: PlannedRefund[] = [];
    let left = amount;
    for (const allocation of paid) {
      if (left === 0n) break;
      const charge = charges.find((c) => c.id === allocation.transaction.id)!;
      const live = await tx.find(Transaction, { refundOf: charge, status: { $in: LIVE_REFUND } });
      const chargeLeft = charge.amount - live.reduce((sum, r) => sum + r.amount, 0n);
      const fromInvoice = allocation.amount - (await this.liveRefundsFrom(tx, charge, invoice));
      const available = chargeLeft < fromInvoice ? chargeLeft : fromInvoice;
      const take = available < left ? available : left;
      if (take > 0n) {
        plans.push({ charge, amount: take, allocations: [{ invoice, amount: take }] });
        left -= take;
      }
    }
    if (left > 0n) throw new DomainError(ErrorCode.NOTHING_TO_REFUND, "The invoice's payments do not have enough left to refund this memo");
    return plans;
  }

  private async liveRefundsFrom(tx: EntityManager, charge: Transaction, invoice: Invoice): Promise<bigint> {
    const rows = await tx.find(TransactionAllocation, { invoice, transaction: { refundOf: charge, status: { $in: LIVE_REFUND } } });
    return rows.reduce((sum, row) => sum + row.amount, 0n);
  }

  /** Phase 1: the refunds, recorded PENDING (or the ones this key already made). */
  private async begin(actor: MerchantActor, keyPrefix: string, creditMemoId: string | null, plan: (tx: EntityManager) => Promise<PlannedRefund[]>): Promise<Transaction[]> {
    return this.em.fork().transactional(async (tx) => {
      const likePrefix = keyPrefix.replace(/[\\%_]/g, (c) => `\\${c}`);
      const existing = await tx.find(Transaction, { merchant: actor.merchantId, idempotencyKey: { $like: `${likePrefix}:%` } }, { populate: ['refundOf'] });
      if (existing.length) return existing;
      const planned = await plan(tx);
      const now = this.clock.now();
      return planned.map(({ charge, amount, allocations }) => {
        const refund = tx.create(Transaction, {
          merchant: actor.merchantId,
          customer: charge.customer ?? null,
          kind: TransactionKind.REFUND,
          status: TransactionStatus.PENDING,
          channel: charge.channel,
          method: charge.method,
          amount,
          currency: charge.currency,
          refundOf: charge,
          creditMemo: creditMemoId,
          cardBrand: charge.cardBrand ?? null,
          cardLast4: charge.cardLast4 ?? null,
          idempotencyKey: `${keyPrefix}:${charge.id}`,
          requiresManualReconciliation: true,
          createdAt: now,
        });
        for (const allocation of allocations) tx.create(TransactionAllocation, { transaction: refund, invoice: allocation.invoice, amount: allocation.amount });
        recordEvent(tx, transactionEvent(refund, 'transaction.created', allocations.map((a) => a.invoice.id)), now);
        return refund;
      });
    });
  }

  /** Phases 2 and 3 for each refund. An offline payment is refunded offline: nothing to call. */
  private async execute(refunds: Transaction[]): Promise<void> {
    for (const refund of refunds) {
      if (refund.status !== TransactionStatus.PENDING && refund.status !== TransactionStatus.PROCESSING) continue;
      const charge = refund.refundOf!;
      let status: TransactionStatus;
      let reference: string | null = null;
      if (charge.channel === PaymentChannel.OFFLINE || !charge.processorReference) {
        status = TransactionStatus.SUCCEEDED;
      } else {
        try {
          const outcome = refund.processorReference
            ? await this.processor.retrieveRefund(refund.processorReference)
            : await this.processor.refund({ idempotencyKey: `txn_${refund.id}`, paymentReference: charge.processorReference, amount: refund.amount, metadata: { transactionId: refund.id, refundOf: charge.id } });
          status = refundStatus(outcome.status);
          reference = outcome.reference;
        } catch (error) {
          if (error instanceof ProcessorError && !error.retryable) {
            status = TransactionStatus.FAILED;
          } else {
            throw new DomainError(ErrorCode.PROCESSOR_UNAVAILABLE, 'The payment processor did not answer; the refund is being confirmed. Retry with the same idempotency key.', { transactionId: refund.id }, true);
          }
        }
      }
      await this.applyOutcome(refund.id, status, reference);
    }
  }

  private async applyOutcome(refundId: string, status: TransactionStatus, reference: string | null): Promise<void> {
    await this.em.fork().transactional(async (tx) => {
      const allocations = await tx.find(TransactionAllocation, { transaction: refundId });
      const invoices = await this.lockInvoices(tx, allocations.map((a) => a.invoice.id));
      const refund = (await lockRow(tx, Transaction, { id: refundId }, ['refundOf', 'merchant']))!;
      refund.processorReference ??= reference;
      if (refund.status === status || (refund.status !== TransactionStatus.PENDING && refund.status !== TransactionStatus.PROCESSING)) return;
      const now = this.clock.now();
      refund.status = status;
      refund.updatedAt = now;
      if (status === TransactionStatus.SUCCEEDED) {
        refund.authorizationCode = `Refund ${refund.refundOf!.authorizationCode ?? ''}`.trimEnd();
        if (refund.channel === PaymentChannel.OFFLINE) {
          refund.settlement = SettlementState.SETTLED;
          refund.settledAt = now;
        }
        recordEvent(tx, transactionEvent(refund.refundOf!, 'transaction.refunded', invoices.map((i) => i.id), { refundId: refund.id, refundedAmount: refund.amount }), now);
      }
      if (status === TransactionStatus.FAILED || status === TransactionStatus.CANCELED) {
        refund.settlement = SettlementState.FAILED;
        refund.failureCode = 'REFUND_FAILED';
        refund.failureMessage = 'The processor could not refund this payment';
      }
      recordEvent(tx, transactionEvent(refund, `transaction.${status.toLowerCase()}`, invoices.map((i) => i.id)), now);
      for (const invoice of invoices) await this.invoices.refreshStatus(tx, invoice, now);
    });
  }

}

