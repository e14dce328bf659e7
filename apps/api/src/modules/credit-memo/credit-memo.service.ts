import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { badInput, DomainError, ErrorCode, notFound } from '../../domain/errors.js';
import { InvoiceStatus } from '../../domain/statuses.js';
import { isUuid } from '../../domain/tokens.js';
import { PreparedStatement } from '../../kit/db/prepared-statement.js';
import { type SqlSession, sessionOf } from '../../kit/db/sql-session.js';
import type { InvoiceService } from '../invoice/index.js';
import type { MerchantActor } from '../merchant/index.js';
import { recordEvent } from '../outbox/index.js';
import { CreditMemo } from './credit-memo.entity.js';

export interface CreateCreditMemo {
  invoiceId: string;
  amount: bigint;
  reason: string;
}

/** A memo as its refund's phase 1 weighs it. */
export interface MemoFacts {
  id: string;
  invoiceId: string;
  amount: bigint;
  refundIssuedAt: Date | null;
}

interface MemoRow {
  id: string;
  invoice_id: string;
  amount: string;
  refund_issued_at: Date | string | null;
}

const memoFacts = (row: MemoRow): MemoFacts => ({
  id: row.id,
  invoiceId: row.invoice_id,
  amount: BigInt(row.amount),
  refundIssuedAt: row.refund_issued_at === null ? null : new Date(row.refund_issued_at),
});

const findMemo = new PreparedStatement<MemoRow>(
  'kp_credit_memo_find',
  'select id, invoice_id, amount::text as amount, refund_issued_at from credit_memo where id = ? and merchant_id = ?',
);
const lockMemo = new PreparedStatement<MemoRow>(
  'kp_credit_memo_lock',
  'select id, invoice_id, amount::text as amount, refund_issued_at from credit_memo where id = ? for update',
);
const markRefunded = new PreparedStatement<{ id: string }>(
  'kp_credit_memo_mark_refunded',
  'update credit_memo set refund_issued_at = ? where id = ? returning id',
);

/** The merchant's memo, unlocked (to learn its invoice, whose lock comes first); NOT_FOUND otherwise. */
export async function findCreditMemo(sql: SqlSession, merchantId: string, memoId: string): Promise<MemoFacts> {
  const [row] = isUuid(memoId) ? await sql.rows(findMemo, [memoId, merchantId]) : [];
  if (!row) throw notFound('credit memo', 'creditMemoId');
  return memoFacts(row);
}

/** The memo, locked (after its invoice), as it is now. */
export async function lockCreditMemo(sql: SqlSession, memoId: string): Promise<MemoFacts> {
  const [row] = await sql.rows(lockMemo, [memoId]);
  return memoFacts(row);
}

/** Marks the memo's refund issued (null: every refund failed, so the memo may be refunded again). */
export async function markCreditMemoRefunded(sql: SqlSession, memoId: string, at: Date | null): Promise<void> {
  await sql.rows(markRefunded, [at, memoId]);
}

/**
 * Credit memos lower an invoice's amount due. Issuing a memo's refund (a partial refund) is money
 * moving: the payments engine does that (payments/flows/credit-memo-refund.flow.ts).
 */
export class CreditMemoService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly invoices: InvoiceService,
  ) {}

  async create(actor: MerchantActor, input: CreateCreditMemo): Promise<CreditMemo> {
    if (input.amount <= 0n) throw badInput('amount', 'amount must be above zero');
    const reason = input.reason.trim();
    if (!reason) throw badInput('reason', 'reason must not be empty');
    return this.em.transactional(async (tx) => {
      const invoice = await this.invoices.lockOwned(tx, actor, input.invoiceId);
      if (invoice.status === InvoiceStatus.VOID) throw new DomainError(ErrorCode.INVOICE_VOID, `Invoice ${invoice.number} is void`);
      if (invoice.status === InvoiceStatus.DRAFT)
        throw new DomainError(ErrorCode.INVOICE_NOT_SENT, `Invoice ${invoice.number} has not been sent yet: edit its lines instead`);
      const amounts = await this.invoices.amounts(tx, invoice);
      const creditable = amounts.total - amounts.credited;
      if (input.amount > creditable) {
        throw new DomainError(
          ErrorCode.AMOUNT_EXCEEDS_CREDITABLE,
          `At most ${creditable} minor units can still be credited on invoice ${invoice.number}`,
          {
            field: 'amount',
            creditable: creditable.toString(),
          },
        );
      }
      const now = this.clock.now();
      const memo = tx.create(CreditMemo, { merchant: actor.merchantId, invoice, amount: input.amount, reason, createdAt: now });
      // The invoice's amounts changed: its version moves on, so that a payment outcome that read them before this commits runs again.
      invoice.updatedAt = now;
      recordEvent(
        tx,
        {
          merchantId: actor.merchantId,
          aggregateType: 'credit_memo',
          aggregateId: memo.id,
          type: 'credit_memo.created',
          payload: { invoiceId: invoice.id, amount: input.amount },
        },
        now,
      );
      await tx.flush();
      await this.invoices.refreshStatus(tx, invoice, now);
      return memo;
    });
  }

  async find(actor: MerchantActor, memoId: string): Promise<CreditMemo | null> {
    if (!isUuid(memoId)) return null;
    return this.em.findOne(CreditMemo, { id: memoId, merchant: actor.merchantId }, { populate: ['invoice'] });
  }

  /** Every refund of the memo failed at the processor: it may be refunded again. */
  async reopenForRefund(memoId: string): Promise<void> {
    await markCreditMemoRefunded(sessionOf(this.em.fork()), memoId, null);
  }
}
