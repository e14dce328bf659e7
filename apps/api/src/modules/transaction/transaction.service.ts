import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import type { AuditService } from '../audit/audit.service.js';
import type { Clock } from '../../domain/clock.js';
import { DomainError, ErrorCode, badInput } from '../../domain/errors.js';
import { payableNow } from '../../domain/invoice-amounts.js';
import {
  InvoiceStatus,
  PaymentChannel,
  PaymentMethodKind,
  SettlementState,
  TransactionKind,
  TransactionStatus,
} from '../../domain/statuses.js';
import { isUuid } from '../../domain/tokens.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import { assertOpenForChange, type InvoiceService } from '../invoice/invoice.service.js';
import type { MerchantActor } from '../merchant/actor.js';
import { recordEvent } from '../outbox/outbox.service.js';
import { Transaction, TransactionAllocation } from './transaction.entity.js';

const OFFLINE_METHODS = new Set([PaymentMethodKind.CHECK, PaymentMethodKind.CASH, PaymentMethodKind.OTHER]);

export interface OfflinePayment {
  invoiceId: string;
  amount: bigint;
  method: PaymentMethodKind;
  reference?: string | null;
  idempotencyKey: string;
}

export class TransactionService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly invoices: InvoiceService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /** Records who reconciled which transactions and when; all of them or (for any unknown id) none. */
  async markReconciled(actor: MerchantActor, ids: string[], audit: AuditService): Promise<Transaction[]> {
    const unique = [...new Set(ids)];
    if (!unique.length || unique.length > 500) throw badInput('transactionIds', 'Name between 1 and 500 transactions');
    if (unique.some((id) => !isUuid(id))) throw new DomainError(ErrorCode.NOT_FOUND, 'No transaction with one of those ids', { field: 'transactionIds' });
    const transactions = await this.em.transactional(async (tx) => {
      const rows = await tx.find(Transaction, { id: { $in: unique }, merchant: actor.merchantId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (rows.length !== unique.length) throw new DomainError(ErrorCode.NOT_FOUND, 'No transaction with one of those ids', { field: 'transactionIds' });
      const now = this.clock.now();
      for (const row of rows.filter((r) => !r.reconciledAt)) {
        row.reconciledAt = now;
        row.reconciledBy = actor.apiKeyPrefix;
        recordEvent(tx, { merchantId: actor.merchantId, aggregateType: 'transaction', aggregateId: row.id, type: 'transaction.reconciled', payload: { by: actor.apiKeyPrefix } }, now);
      }
      return rows;
    });
    await audit.record({ merchantId: actor.merchantId, actorType: 'api_key', actorId: actor.apiKeyId, action: 'transactions.reconciled', details: { transactionIds: unique } });
    return transactions;
  }

  async find(actor: MerchantActor, id: string): Promise<Transaction | null> {
    if (!isUuid(id)) return null;
    return this.em.findOne(Transaction, { id, merchant: actor.merchantId });
  }

  /**
   * The invoice was paid through another channel (check, cash, ...). No processor is involved, so
   * the payment is recorded SUCCEEDED and SETTLED in one transaction under the invoice's lock.
   */
  async recordOfflinePayment(actor: MerchantActor, input: OfflinePayment): Promise<Transaction> {
    if (!OFFLINE_METHODS.has(input.method)) throw badInput('method', 'An offline payment is a CHECK, CASH or OTHER');
    if (input.amount <= 0n) throw badInput('amount', 'amount must be above zero');
    const { idempotencyKey, ...request } = input;
    const id = await this.idempotency.run(`merchant:${actor.merchantId}`, idempotencyKey, 'recordOfflinePayment', request, () =>
      this.em.transactional(async (tx) => {
        const invoice = await this.invoices.lockOwned(tx, actor, input.invoiceId);
        assertOpenForChange(invoice);
        if (invoice.status === InvoiceStatus.DRAFT) throw new DomainError(ErrorCode.INVOICE_NOT_SENT, `Invoice ${invoice.number} has not been sent yet`);
        const amounts = await this.invoices.amounts(tx, invoice);
        if (input.amount > payableNow(amounts)) {
          throw new DomainError(ErrorCode.AMOUNT_EXCEEDS_DUE, `The payment exceeds what is payable on invoice ${invoice.number}`, { field: 'amount', payable: payableNow(amounts).toString() });
        }
        const now = this.clock.now();
        const transaction = tx.create(Transaction, {
          merchant: actor.merchantId,
          customer: invoice.customer,
          kind: TransactionKind.CHARGE,
          status: TransactionStatus.SUCCEEDED,
          channel: PaymentChannel.OFFLINE,
          method: input.method,
          amount: input.amount,
          currency: invoice.currency,
          fee: 0n,
          authorizationCode: input.reference?.trim() || null,
          idempotencyKey,
          settlement: SettlementState.SETTLED,
          settledAt: now,
          createdAt: now,
        });
        tx.create(TransactionAllocation, { transaction, invoice, amount: input.amount });
        recordEvent(tx, { merchantId: actor.merchantId, aggregateType: 'transaction', aggregateId: transaction.id, type: 'transaction.succeeded', payload: { invoiceIds: [invoice.id], amount: input.amount, channel: PaymentChannel.OFFLINE } }, now);
        await this.invoices.refreshStatus(tx, invoice, now);
        return transaction.id;
      }),
    );
    return this.em.findOneOrFail(Transaction, { id });
  }
}
