import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { badInput, DomainError, ErrorCode } from '../../domain/errors.js';
import type { FeeSchedule } from '../../domain/fees.js';
import { isUuid } from '../../domain/tokens.js';
import { inTransaction, sessionOf } from '../../kit/db/sql-session.js';
import type { MerchantProcessors } from '../../processors/processor-account.port.js';
import type { AuditService } from '../audit/index.js';
import type { IdempotencyService } from '../idempotency/index.js';
import type { MerchantActor } from '../merchant/index.js';
import { DisputesService } from './disputes/disputes.service.js';
import type { Faults } from './engine/faults.js';
import { PaymentsEngine } from './engine/payments-engine.js';
import { type ChargeInvoicesInput, chargeInvoices } from './flows/charge-invoices.flow.js';
import { completeLinkPayment } from './flows/complete-link-payment.flow.js';
import { issueCreditMemoRefund } from './flows/credit-memo-refund.flow.js';
import type { FlowDeps } from './flows/flow-deps.js';
import { refundTransaction } from './flows/full-refund.flow.js';
import { type OfflinePaymentInput, recordOfflinePayment } from './flows/offline.flow.js';
import { type PayWithLinkInput, payWithLink } from './flows/pay-with-link.flow.js';
import { collectTerminalPayment, type TerminalPaymentInput } from './flows/terminal.flow.js';
import { type MicrodepositInput, verifyMicrodeposits } from './flows/verify-microdeposits.flow.js';
import { type VirtualTerminalInput, virtualTerminalCharge } from './flows/virtual-terminal.flow.js';
import { type LedgerTransaction, readTransactions } from './ledger/ledger.js';
import { markReconciled } from './ledger/ledger-settlement.js';
import type { TransactionView } from './ledger/transaction.view.js';

export interface PaymentsDeps {
  em: EntityManager;
  clock: Clock;
  processors: MerchantProcessors;
  fees: FeeSchedule;
  faults: Faults;
  idempotency: IdempotencyService;
}

/**
 * The payments area's front door for one unit of work: every way money moves, each a flow over the
 * one engine (flows/*.flow.ts), plus the processor's reports (webhooks, recovery) and reconciliation.
 */
export class PaymentsService {
  readonly engine: PaymentsEngine;
  /** Disputes (chargebacks) of card charges, over the same engine. */
  readonly disputes: DisputesService;
  private readonly flow: FlowDeps;

  constructor(private readonly deps: PaymentsDeps) {
    this.engine = new PaymentsEngine(deps);
    this.disputes = new DisputesService({ em: deps.em, engine: this.engine, processors: deps.processors, clock: deps.clock });
    this.flow = { em: deps.em, engine: this.engine, processors: deps.processors, clock: deps.clock, idempotency: deps.idempotency };
  }

  payWithLink(input: PayWithLinkInput): Promise<LedgerTransaction> {
    return payWithLink(this.flow, input);
  }

  /** After the customer acted on what the payment waited for (3-D Secure, micro-deposits). */
  completeLinkPayment(token: string, paymentId: string): Promise<LedgerTransaction> {
    return completeLinkPayment(this.flow, token, paymentId);
  }

  /** The customer's answer to their bank account's micro-deposits, on the pay page. */
  verifyMicrodeposits(token: string, paymentId: string, input: MicrodepositInput): Promise<LedgerTransaction> {
    return verifyMicrodeposits(this.flow, token, paymentId, input);
  }

  // Money through the processor waits for the merchant's account to take charges (PROCESSOR_ACCOUNT_NOT_READY, nothing changed).

  /** Checks the merchant's account itself, with the key's read. */
  chargeInvoices(actor: MerchantActor, input: ChargeInvoicesInput, idempotencyKey: string): Promise<LedgerTransaction> {
    return chargeInvoices(this.flow, actor, input, idempotencyKey);
  }

  async virtualTerminalCharge(actor: MerchantActor, input: VirtualTerminalInput, idempotencyKey: string): Promise<LedgerTransaction> {
    await this.deps.processors.ready(actor.merchantId);
    return virtualTerminalCharge(this.flow, actor, input, idempotencyKey);
  }

  async collectTerminalPayment(actor: MerchantActor, input: TerminalPaymentInput, idempotencyKey: string): Promise<LedgerTransaction> {
    await this.deps.processors.ready(actor.merchantId);
    return collectTerminalPayment(this.flow, actor, input, idempotencyKey);
  }

  recordOfflinePayment(actor: MerchantActor, input: OfflinePaymentInput, idempotencyKey: string): Promise<LedgerTransaction> {
    return recordOfflinePayment(this.flow, actor, input, idempotencyKey);
  }

  async refundTransaction(actor: MerchantActor, chargeId: string, idempotencyKey: string): Promise<LedgerTransaction> {
    await this.deps.processors.ready(actor.merchantId);
    return refundTransaction(this.flow, actor, chargeId, idempotencyKey);
  }

  /** Answers the credit memo's id. */
  async issueCreditMemoRefund(actor: MerchantActor, memoId: string, idempotencyKey: string): Promise<string> {
    await this.deps.processors.ready(actor.merchantId);
    return issueCreditMemoRefund(this.flow, actor, memoId, idempotencyKey);
  }

  /** Cancels, at the processor, the payments that wait for their customer's action on an invoice (before it is voided or edited). */
  cancelAwaitingOnInvoice(invoiceId: string): Promise<void> {
    return this.engine.cancelAwaitingOnInvoice(invoiceId);
  }

  syncPayment(reference: string, merchantId: string): Promise<LedgerTransaction | null> {
    return this.engine.syncPayment(reference, merchantId);
  }

  syncRefund(reference: string, merchantId: string): Promise<LedgerTransaction | null> {
    return this.engine.syncRefund(reference, merchantId);
  }

  recover(transactionId: string): Promise<LedgerTransaction> {
    return this.engine.recover(transactionId);
  }

  async find(actor: MerchantActor, id: string): Promise<LedgerTransaction | null> {
    if (!isUuid(id)) return null;
    const [transaction] = await readTransactions(sessionOf(this.deps.em), [id]);
    return transaction?.merchantId === actor.merchantId ? transaction : null;
  }

  /** Records who reconciled these transactions and when: all of them, or (for any unknown id) none. */
  async markReconciled(actor: MerchantActor, ids: string[], audit: AuditService): Promise<TransactionView[]> {
    const unique = [...new Set(ids)];
    if (!unique.length || unique.length > 500) throw badInput('transactionIds', 'Name between 1 and 500 transactions');
    if (unique.some((id) => !isUuid(id)))
      throw new DomainError(ErrorCode.NOT_FOUND, 'No transaction with one of those ids', { field: 'transactionIds' });
    const views = await inTransaction(this.deps.em, (sql) =>
      markReconciled(sql, actor.merchantId, unique, actor.apiKeyPrefix, this.deps.clock.now()),
    );
    await audit.record({ merchantId: actor.merchantId, actor, action: 'transactions.reconciled', details: { transactionIds: unique } });
    return views;
  }
}
