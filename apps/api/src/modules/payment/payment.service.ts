import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { lockRow, lockRows } from '../../db/locking.js';
import type { Settings } from '../../config.js';
import type { Clock } from '../../domain/clock.js';
import { DomainError, ErrorCode, badInput, notFound } from '../../domain/errors.js';
import { feeFor } from '../../domain/fees.js';
import { PublicLinkStatus, payableNow, publicLinkStatus } from '../../domain/invoice-amounts.js';
import { assertCurrency } from '../../domain/money.js';
import {
  InvoiceStatus,
  PaymentChannel,
  PaymentMethodKind,
  SettlementState,
  TransactionKind,
  TransactionStatus,
  transactionStateMachine,
} from '../../domain/statuses.js';
import { hashToken, isUuid } from '../../domain/tokens.js';
import {
  ProcessorError,
  type AchMandate,
  type PaymentMethodDetails,
  type PaymentProcessor,
  type ProcessorPayment,
  type ProcessorPaymentStatus,
} from '../../processors/processor.port.js';
import { Customer } from '../customer/customer.entity.js';
import { queueEmail } from '../email/email-outbox.js';
import type { IdempotencyClaim, IdempotencyService } from '../idempotency/idempotency.service.js';
import { Invoice } from '../invoice/invoice.entity.js';
import { assertOpenForChange, type InvoiceService } from '../invoice/invoice.service.js';
import type { MerchantActor } from '../merchant/actor.js';
import { recordEvent } from '../outbox/outbox.service.js';
import { PaymentLink } from '../payment-link/payment-link.entity.js';
import { TerminalReader } from '../terminal/terminal-reader.entity.js';
import { Transaction, TransactionAllocation } from '../transaction/transaction.entity.js';
import { VaultedCard } from '../vault/vaulted-card.entity.js';
import { transactionEvent } from '../transaction/transaction.events.js';

/** How a payment is paid: a tokenised card or bank account, a saved card, or a reader. */
type Instrument =
  | { kind: 'token'; paymentMethod: PaymentMethodDetails; customerReference: string | null }
  | { kind: 'reader'; readerReference: string };

interface Allocation {
  invoice: Invoice;
  amount: bigint;
}

/** What begin() records, decided under the invoices' locks. */
interface Plan {
  customer: Customer | null;
  currency: string;
  amount: bigint;
  allocations: Allocation[];
}

interface Attempt {
  merchantId: string;
  /** Stored on the transaction under a unique index: the retry of an attempt finds it again. */
  transactionKey: string;
  channel: PaymentChannel;
  instrument: Instrument;
  description: string | null;
  requiresManualReconciliation: boolean;
  mandate: AchMandate | null;
  /** Runs inside begin()'s transaction, with the invoices it names locked. */
  plan(tx: EntityManager): Promise<Plan>;
}

export interface ChargeInvoicesInput {
  customerId: string;
  invoiceIds: string[];
  allocations?: { invoiceId: string; amount: bigint }[] | null;
  paymentMethodToken?: string | null;
  vaultedCardId?: string | null;
}

export interface VirtualTerminalInput {
  amount: bigint;
  currency: string;
  description: string;
  customerId?: string | null;
  paymentMethodToken?: string | null;
  vaultedCardId?: string | null;
}

export interface TerminalPaymentInput {
  readerId: string;
  invoiceIds?: string[] | null;
  amount?: bigint | null;
  currency?: string | null;
}

/** What the request that made an attempt knows when it records the outcome (webhooks and recovery know neither). */
interface OutcomeContext {
  /** The request's idempotency key, whose result is written with the outcome. */
  claim?: IdempotencyClaim;
  /** The invoices phase 1 allocated the attempt to (allocations never change). */
  invoiceIds?: string[] | null;
}

const MAX_INVOICES_PER_PAYMENT = 100;

/**
 * Test-only fault injection, for the crash tests of tests/reliability: with NODE_ENV=test,
 * KOMETPAY_CRASH_AT=<step> makes the process kill -9 itself at that step of a payment.
 */
type CrashStep = 'after-begin' | 'after-processor' | 'before-outcome';
const crashAt = process.env.NODE_ENV === 'test' ? process.env.KOMETPAY_CRASH_AT : undefined;
function crashPoint(step: CrashStep): void {
  if (crashAt === step) process.kill(process.pid, 'SIGKILL');
}

function methodKind(details: PaymentMethodDetails | null): PaymentMethodKind {
  if (details?.type === 'us_bank_account') return PaymentMethodKind.ACH;
  if (details?.funding === 'debit') return PaymentMethodKind.DEBIT_CARD;
  if (details?.funding === 'prepaid') return PaymentMethodKind.PREPAID_CARD;
  return PaymentMethodKind.CREDIT_CARD;
}

/**
 * The statuses a transaction moves through to match what the processor reports: none when the
 * report is stale or changes nothing (webhooks arrive late, twice and out of order). A payment
 * returned after success passed through SUCCEEDED even if we never saw it there (its success was
 * reported late, or not at all), so both steps are taken; a failure after success is a return too.
 */
function statusPath(current: TransactionStatus, reported: ProcessorPaymentStatus): TransactionStatus[] {
  if (reported === 'RETURNED' || (reported === 'FAILED' && current === TransactionStatus.SUCCEEDED)) {
    if (current === TransactionStatus.SUCCEEDED) return [TransactionStatus.RETURNED];
    return transactionStateMachine.canTransition(current, TransactionStatus.SUCCEEDED) ? [TransactionStatus.SUCCEEDED, TransactionStatus.RETURNED] : [];
  }
  const target = reported === 'REQUIRES_ACTION' ? TransactionStatus.FAILED : (reported as TransactionStatus);
  return target !== current && transactionStateMachine.canTransition(current, target) ? [target] : [];
}

function describeMethod(transaction: Transaction): string {
  if (transaction.method === PaymentMethodKind.ACH) return `US bank account •••• ${transaction.cardLast4 ?? ''}`.trim();
  const funding = transaction.method === PaymentMethodKind.DEBIT_CARD ? 'debit' : transaction.method === PaymentMethodKind.PREPAID_CARD ? 'prepaid' : 'credit';
  const brand = transaction.cardBrand ? transaction.cardBrand[0].toUpperCase() + transaction.cardBrand.slice(1) : 'Card';
  return `${brand} ${funding} •••• ${transaction.cardLast4 ?? ''}`.trim();
}

/**
 * Every way money comes in: the pay-by-link checkout, manual entry and "Pay Invoices", saved cards,
 * the terminal and the virtual terminal. One flow for all:
 *   1. begin: under the invoices' row locks, check what may be paid and record a PENDING
 *      transaction (its allocations count as in flight, so a concurrent attempt sees nothing payable);
 *   2. call the processor, outside any DB transaction, with a key derived from the transaction id;
 *   3. record the outcome under the locks again. An unknown outcome leaves the attempt PENDING for
 *      the recovery job, which asks the processor with the same key.
 */
export class PaymentService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly settings: Settings,
    private readonly processor: PaymentProcessor,
    private readonly invoices: InvoiceService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /** The checkout: pays the invoice's current amount due with a tokenised card or bank account. */
  async payWithLink(token: string, paymentMethodToken: string, idempotencyKey: string, mandate: AchMandate | null): Promise<Transaction> {
    const link = await this.em.findOne(PaymentLink, { tokenHash: hashToken(token) });
    if (!link) throw new DomainError(ErrorCode.NOT_FOUND, 'This payment link does not exist');
    let produced: Transaction | null = null;
    const id = await this.idempotency.run(`link:${link.id}`, idempotencyKey, 'payWithLink', { paymentMethodToken }, async (claim) => {
      const paymentMethod = await this.describe(paymentMethodToken);
      produced = await this.run(claim, {
        merchantId: link.merchant.id,
        transactionKey: `link:${link.id}:${idempotencyKey}`,
        channel: PaymentChannel.PAYMENT_LINK,
        instrument: { kind: 'token', paymentMethod, customerReference: null },
        description: null,
        requiresManualReconciliation: false,
        mandate,
        plan: async (tx) => {
          const [invoice] = await this.lockInvoices(tx, link.merchant.id, [link.invoice.id]);
          // Read under the invoice's lock: a resend or the expiry job may have retired the link meanwhile.
          const current = await tx.findOneOrFail(PaymentLink, { id: link.id });
          const amounts = await this.invoices.amounts(tx, invoice);
          const status = publicLinkStatus({ invoiceStatus: invoice.status, storedStatus: current.status, expiresAt: current.expiresAt, amounts, now: this.clock.now() });
          const refusals: Partial<Record<PublicLinkStatus, [ErrorCode, string]>> = {
            VOID: [ErrorCode.INVOICE_VOID, 'This invoice was voided'],
            PAID: [ErrorCode.INVOICE_ALREADY_PAID, 'This invoice is already paid'],
            SUPERSEDED: [ErrorCode.LINK_SUPERSEDED, 'This link was replaced: a newer link was emailed'],
            EXPIRED: [ErrorCode.LINK_EXPIRED, 'This link has expired: a newer link was emailed'],
            PROCESSING: [ErrorCode.PAYMENT_IN_PROGRESS, 'A payment for this invoice is already being processed'],
          };
          const refusal = refusals[status];
          if (refusal) throw new DomainError(refusal[0], refusal[1]);
          const amount = payableNow(amounts);
          return { customer: invoice.customer, currency: invoice.currency, amount, allocations: [{ invoice, amount }] };
        },
      });
      return produced.id;
    });
    // A replayed key names a transaction made by an earlier request: read it as it is now.
    return produced ?? this.em.findOneOrFail(Transaction, { id }, { refresh: true });
  }

  /** Manual entry and "Pay Invoices": one payment across open invoices of one customer, oldest first. */
  async chargeInvoices(actor: MerchantActor, input: ChargeInvoicesInput, idempotencyKey: string): Promise<Transaction> {
    const invoiceIds = [...new Set(input.invoiceIds)];
    if (!invoiceIds.length) throw badInput('invoiceIds', 'Name at least one invoice');
    if (invoiceIds.length > MAX_INVOICES_PER_PAYMENT) throw badInput('invoiceIds', `At most ${MAX_INVOICES_PER_PAYMENT} invoices per payment`);
    if (input.allocations) {
      const named = new Set(input.allocations.map((a) => a.invoiceId));
      if (named.size !== input.allocations.length || named.size !== invoiceIds.length || invoiceIds.some((id) => !named.has(id))) {
        throw badInput('allocations', 'allocations must name each invoice of invoiceIds exactly once');
      }
      input.allocations.forEach((a, index) => {
        if (a.amount <= 0n) throw badInput(`allocations.${index}.amount`, 'amount must be above zero');
      });
    }
    return this.charge(actor, idempotencyKey, 'chargeInvoices', input, async () => {
      const customer = await this.ownedCustomer(actor, input.customerId);
      const { instrument, channel } = await this.instrument(actor, customer, input, PaymentChannel.MANUAL_ENTRY);
      return {
        channel,
        instrument,
        description: null,
        requiresManualReconciliation: false,
        plan: async (tx) => {
          const invoices = await this.lockInvoices(tx, actor.merchantId, invoiceIds);
          if (invoices.some((invoice) => invoice.customer.id !== customer.id)) throw notFound('invoice of this customer', 'invoiceIds');
          return this.allocate(tx, customer, invoices, input.allocations ?? null, null);
        },
      };
    });
  }

  /** A payment tied to no invoice: never counted as an invoice payment, flagged for manual reconciliation. */
  async virtualTerminalCharge(actor: MerchantActor, input: VirtualTerminalInput, idempotencyKey: string): Promise<Transaction> {
    if (input.amount <= 0n) throw badInput('amount', 'amount must be above zero');
    const currency = assertCurrency(input.currency);
    const description = input.description.trim();
    if (!description) throw badInput('description', 'description must not be empty');
    return this.charge(actor, idempotencyKey, 'virtualTerminalCharge', input, async () => {
      const customer = input.customerId ? await this.ownedCustomer(actor, input.customerId) : null;
      const { instrument } = await this.instrument(actor, customer, input, PaymentChannel.VIRTUAL_TERMINAL);
      return {
        channel: PaymentChannel.VIRTUAL_TERMINAL,
        instrument,
        description,
        requiresManualReconciliation: true,
        plan: async () => ({ customer, currency, amount: input.amount, allocations: [] }),
      };
    });
  }

  /** Card-present on a registered reader: the payment stays PROCESSING until a card is presented. */
  async collectTerminalPayment(actor: MerchantActor, input: TerminalPaymentInput, idempotencyKey: string): Promise<Transaction> {
    if (input.amount !== null && input.amount !== undefined && input.amount <= 0n) throw badInput('amount', 'amount must be above zero');
    const invoiceIds = [...new Set(input.invoiceIds ?? [])];
    if (!invoiceIds.length && !input.amount) throw badInput('amount', 'Without invoices, give the amount to collect');
    return this.charge(actor, idempotencyKey, 'collectTerminalPayment', input, async () => {
      const reader = isUuid(input.readerId) ? await this.em.findOne(TerminalReader, { id: input.readerId, merchant: actor.merchantId }) : null;
      if (!reader) throw notFound('terminal reader', 'readerId');
      return {
        channel: PaymentChannel.TERMINAL,
        instrument: { kind: 'reader', readerReference: reader.processorReference },
        description: null,
        requiresManualReconciliation: invoiceIds.length === 0,
        plan: async (tx) => {
          if (!invoiceIds.length) {
            return { customer: null, currency: assertCurrency(input.currency ?? 'USD'), amount: input.amount!, allocations: [] };
          }
          const invoices = await this.lockInvoices(tx, actor.merchantId, invoiceIds);
          const customer = invoices[0].customer;
          if (invoices.some((invoice) => invoice.customer.id !== customer.id)) throw badInput('invoiceIds', 'All invoices of one payment must belong to one customer');
          return this.allocate(tx, customer, invoices, null, input.amount ?? null);
        },
      };
    });
  }

  /**
   * Brings one of our transactions in line with the processor's view of its payment: the shared
   * path of webhooks, the sandbox's notifications and the recovery job. Safe to repeat.
   */
  async syncFromProcessor(paymentReference: string): Promise<Transaction | null> {
    const payment = await this.processor.retrievePayment(paymentReference);
    const transactionId = payment.metadata.transactionId;
    const transaction = isUuid(transactionId ?? '')
      ? await this.em.fork().findOne(Transaction, { id: transactionId })
      : await this.em.fork().findOne(Transaction, { processorReference: paymentReference });
    return transaction ? this.applyOutcome(transaction.id, payment) : null;
  }

  /** The recovery job's step: asks the processor about an attempt that never got (or kept) its outcome. */
  async recover(transactionId: string): Promise<Transaction> {
    const transaction = await this.em.fork().findOneOrFail(Transaction, { id: transactionId });
    if (transaction.processorReference) return (await this.syncFromProcessor(transaction.processorReference)) ?? transaction;
    // Never answered: the same request with the same key either returns the original outcome or makes it now.
    const payment = transaction.terminalReader
      ? await this.processor.collectOnReader(this.readerRequest(transaction, transaction.terminalReader))
      : await this.processor.createPayment(this.paymentRequest(transaction));
    return this.applyOutcome(transaction.id, payment);
  }

  private async charge(
    actor: MerchantActor,
    idempotencyKey: string,
    operation: string,
    input: object,
    prepare: () => Promise<Omit<Attempt, 'merchantId' | 'transactionKey' | 'mandate'>>,
  ): Promise<Transaction> {
    let produced: Transaction | null = null;
    const id = await this.idempotency.run(`merchant:${actor.merchantId}`, idempotencyKey, operation, input, async (claim) => {
      const attempt = await prepare();
      // Manual entry: the merchant holds the customer's signed authorization for a bank debit.
      produced = await this.run(claim, { ...attempt, merchantId: actor.merchantId, transactionKey: idempotencyKey, mandate: { type: 'offline' } });
      return produced.id;
    });
    // A replayed key names a transaction made by an earlier request: read it as it is now.
    return produced ?? this.em.findOneOrFail(Transaction, { id }, { refresh: true });
  }

  /** The three phases of an attempt; the outcome's transaction also records the idempotency key's result. */
  private async run(claim: IdempotencyClaim, attempt: Attempt): Promise<Transaction> {
    const { transaction, invoiceIds } = await this.begin(attempt);
    if (transaction.status !== TransactionStatus.PENDING) return transaction;
    crashPoint('after-begin');
    let payment: ProcessorPayment;
    try {
      payment =
        attempt.instrument.kind === 'reader'
          ? await this.processor.collectOnReader(this.readerRequest(transaction, attempt.instrument.readerReference))
          : await this.processor.createPayment(this.paymentRequest(transaction));
      crashPoint('after-processor');
    } catch (error) {
      if (error instanceof ProcessorError && !error.retryable) {
        return this.fail(transaction.id, error.code, error.message, claim);
      }
      throw new DomainError(ErrorCode.PROCESSOR_UNAVAILABLE, 'The payment processor did not answer; the payment is being confirmed. Retry with the same idempotency key.', { transactionId: transaction.id }, true);
    }
    return this.applyOutcome(transaction.id, payment, { claim, invoiceIds });
  }

  /**
   * Phase 1: the attempt, recorded PENDING with its allocations, or the one this key already made.
   * Also the invoices it was allocated to (allocations never change), when it was made now.
   */
  private async begin(attempt: Attempt): Promise<{ transaction: Transaction; invoiceIds: string[] | null }> {
    return this.em.fork().transactional(async (tx) => {
      const existing = await tx.findOne(Transaction, { merchant: attempt.merchantId, idempotencyKey: attempt.transactionKey });
      if (existing) return { transaction: existing, invoiceIds: null };
      const plan = await attempt.plan(tx);
      if (plan.amount <= 0n) throw new DomainError(ErrorCode.PAYMENT_IN_PROGRESS, 'Nothing is payable now: a payment is already in progress');
      const now = this.clock.now();
      const details = attempt.instrument.kind === 'token' ? attempt.instrument.paymentMethod : null;
      const transaction = tx.create(Transaction, {
        merchant: attempt.merchantId,
        customer: plan.customer,
        kind: TransactionKind.CHARGE,
        status: TransactionStatus.PENDING,
        channel: attempt.channel,
        method: methodKind(details),
        amount: plan.amount,
        currency: plan.currency,
        idempotencyKey: attempt.transactionKey,
        paymentMethodReference: details?.reference ?? null,
        processorCustomerReference: attempt.instrument.kind === 'token' ? attempt.instrument.customerReference : null,
        terminalReader: attempt.instrument.kind === 'reader' ? attempt.instrument.readerReference : null,
        achMandate: details?.type === 'us_bank_account' ? attempt.mandate : null,
        cardBrand: details?.brand ?? null,
        cardLast4: details?.last4 ?? null,
        description: attempt.description,
        requiresManualReconciliation: attempt.requiresManualReconciliation,
        createdAt: now,
      });
      for (const { invoice, amount } of plan.allocations) tx.create(TransactionAllocation, { transaction, invoice, amount });
      const invoiceIds = plan.allocations.map((a) => a.invoice.id);
      recordEvent(tx, transactionEvent(transaction, 'transaction.created', invoiceIds), now);
      return { transaction, invoiceIds };
    });
  }

  /** Phase 3: the processor's answer, applied under the invoices' locks (invoices first, then the transaction). */
  private async applyOutcome(transactionId: string, payment: ProcessorPayment, attempt: OutcomeContext = {}): Promise<Transaction> {
    return this.em.fork().transactional(async (tx) => {
      await attempt.claim?.recordIn(tx, transactionId);
      const invoiceIds = attempt.invoiceIds ?? (await tx.find(TransactionAllocation, { transaction: transactionId })).map((a) => a.invoice.id);
      const invoices = await this.lockInvoices(tx, null, invoiceIds);
      const transaction = (await lockRow(tx, Transaction, { id: transactionId }, ['customer', 'merchant']))!;
      transaction.processorReference ??= payment.reference;
      const path = statusPath(transaction.status, payment.status);
      if (!path.length) return transaction;
      const now = this.clock.now();
      if (payment.paymentMethod) {
        transaction.method = methodKind(payment.paymentMethod);
        transaction.cardBrand = payment.paymentMethod.brand ?? transaction.cardBrand;
        transaction.cardLast4 = payment.paymentMethod.last4 ?? transaction.cardLast4;
      }
      if (payment.authorizationCode) transaction.authorizationCode = payment.authorizationCode;
      for (const next of path) {
        transaction.status = next;
        if (next === TransactionStatus.SUCCEEDED || next === TransactionStatus.PROCESSING) {
          transaction.fee ??= payment.fee ?? feeFor(transaction.method, transaction.amount, this.settings.fees);
        }
        if (next === TransactionStatus.FAILED || next === TransactionStatus.RETURNED) {
          transaction.failureCode = payment.failure?.code ?? (payment.status === 'REQUIRES_ACTION' ? 'AUTHENTICATION_REQUIRED' : 'PAYMENT_DECLINED');
          transaction.failureMessage = payment.failure?.message ?? 'The payment did not go through.';
          transaction.settlement = next === TransactionStatus.RETURNED ? SettlementState.RETURNED : SettlementState.FAILED;
        }
        if (next === TransactionStatus.SUCCEEDED && transaction.method === PaymentMethodKind.ACH) {
          // For ACH, success is the settlement itself: the money has arrived.
          transaction.settlement = SettlementState.SETTLED;
          transaction.settledAt = now;
        }
        recordEvent(tx, transactionEvent(transaction, `transaction.${next.toLowerCase()}`, invoices.map((i) => i.id)), now);
      }
      transaction.updatedAt = now;
      for (const invoice of invoices) await this.invoices.refreshStatus(tx, invoice, now);
      if (transaction.status === TransactionStatus.SUCCEEDED || transaction.status === TransactionStatus.PROCESSING) await this.queueReceipt(tx, transaction, invoices, now);
      // The outcome's rows reach the database, uncommitted, before the crash.
      if (crashAt === 'before-outcome') await tx.flush();
      crashPoint('before-outcome');
      return transaction;
    });
  }

  /** An attempt the processor refused outright (an unusable token, a reader that is gone). */
  private async fail(transactionId: string, code: string, message: string, claim: IdempotencyClaim): Promise<Transaction> {
    return this.applyOutcome(transactionId, {
      reference: '',
      status: 'FAILED',
      amount: 0n,
      currency: '',
      authorizationCode: null,
      paymentMethod: null,
      failure: { code: code as ProcessorError['code'], message, declineCode: null },
      fee: null,
      metadata: {},
    }, { claim });
  }

  private paymentRequest(transaction: Transaction) {
    return {
      idempotencyKey: `txn_${transaction.id}`,
      amount: transaction.amount,
      currency: transaction.currency,
      paymentMethod: transaction.paymentMethodReference!,
      customerReference: transaction.processorCustomerReference ?? null,
      description: transaction.description ?? null,
      metadata: { transactionId: transaction.id, merchantId: transaction.merchant.id },
      mandate: transaction.achMandate ?? null,
    };
  }

  private readerRequest(transaction: Transaction, readerReference: string) {
    return {
      idempotencyKey: `txn_${transaction.id}`,
      readerReference,
      amount: transaction.amount,
      currency: transaction.currency,
      description: transaction.description ?? null,
      metadata: { transactionId: transaction.id, merchantId: transaction.merchant.id },
    };
  }


  private async describe(paymentMethodToken: string): Promise<PaymentMethodDetails> {
    try {
      return await this.processor.describePaymentMethod(paymentMethodToken);
    } catch (error) {
      if (error instanceof ProcessorError && !error.retryable) {
        throw new DomainError(ErrorCode.INVALID_PAYMENT_METHOD, 'The payment method token is not one the processor issued, or can no longer be used', { field: 'paymentMethodToken' });
      }
      throw new DomainError(ErrorCode.PROCESSOR_UNAVAILABLE, 'The payment processor did not answer; nothing was charged. Please retry.', {}, true);
    }
  }

  private async instrument(actor: MerchantActor, customer: Customer | null, input: { paymentMethodToken?: string | null; vaultedCardId?: string | null }, tokenChannel: PaymentChannel) {
    if (Boolean(input.paymentMethodToken) === Boolean(input.vaultedCardId)) {
      throw badInput('paymentMethodToken', 'Give exactly one of paymentMethodToken and vaultedCardId');
    }
    if (input.paymentMethodToken) {
      return { channel: tokenChannel, instrument: { kind: 'token' as const, paymentMethod: await this.describe(input.paymentMethodToken), customerReference: null } };
    }
    const card =
      customer && isUuid(input.vaultedCardId!)
        ? await this.em.findOne(VaultedCard, { id: input.vaultedCardId!, merchant: actor.merchantId, customer, deletedAt: null })
        : null;
    if (!card) throw notFound("card in this customer's vault", 'vaultedCardId');
    const paymentMethod = await this.describe(card.processorPaymentMethodId);
    const channel = tokenChannel === PaymentChannel.MANUAL_ENTRY ? PaymentChannel.VAULT : tokenChannel;
    return { channel, instrument: { kind: 'token' as const, paymentMethod, customerReference: card.processorCustomerId } };
  }

  private async ownedCustomer(actor: MerchantActor, customerId: string): Promise<Customer> {
    const customer = isUuid(customerId) ? await this.em.findOne(Customer, { id: customerId, merchant: actor.merchantId }) : null;
    if (!customer) throw notFound('customer', 'customerId');
    return customer;
  }

  /** Locks invoices in id order (so concurrent payments never deadlock); unknown or foreign = NOT_FOUND. */
  private async lockInvoices(tx: EntityManager, merchantId: string | null, ids: string[]): Promise<Invoice[]> {
    if (ids.some((id) => !isUuid(id))) throw notFound('invoice', 'invoiceIds');
    const sorted = [...ids].sort();
    const where = merchantId ? { id: { $in: sorted }, merchant: merchantId } : { id: { $in: sorted } };
    const invoices = await lockRows(tx, Invoice, where, { orderBy: { id: 'asc' } });
    if (invoices.length !== sorted.length) throw notFound('invoice', 'invoiceIds');
    return invoices;
  }

  /** Splits a payment over invoices: explicit amounts, or oldest first (each in full, or up to `cap`). */
  private async allocate(tx: EntityManager, customer: Customer, invoices: Invoice[], explicit: { invoiceId: string; amount: bigint }[] | null, cap: bigint | null): Promise<Plan> {
    const currency = invoices[0].currency;
    const oldestFirst = [...invoices].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    const allocations: Allocation[] = [];
    let remaining = cap;
    for (const invoice of oldestFirst) {
      assertOpenForChange(invoice);
      if (invoice.status === InvoiceStatus.DRAFT) throw new DomainError(ErrorCode.INVOICE_NOT_SENT, `Invoice ${invoice.number} has not been sent yet`);
      if (invoice.currency !== currency) throw new DomainError(ErrorCode.CURRENCY_MISMATCH, 'All invoices of one payment must share a currency', { field: 'invoiceIds' });
      const payable = payableNow(await this.invoices.amounts(tx, invoice));
      const wanted = explicit?.find((a) => a.invoiceId === invoice.id)?.amount ?? (remaining !== null && remaining < payable ? remaining : payable);
      if (wanted > payable) {
        throw new DomainError(ErrorCode.AMOUNT_EXCEEDS_DUE, `The payment exceeds what is payable on invoice ${invoice.number}`, { field: 'allocations', invoiceId: invoice.id, payable: payable.toString() });
      }
      if (payable === 0n) throw new DomainError(ErrorCode.PAYMENT_IN_PROGRESS, `A payment for invoice ${invoice.number} is already being processed`);
      if (wanted > 0n) allocations.push({ invoice, amount: wanted });
      if (remaining !== null) remaining -= wanted;
    }
    if (remaining !== null && remaining > 0n) throw new DomainError(ErrorCode.AMOUNT_EXCEEDS_DUE, 'The amount exceeds what the invoices have due', { field: 'amount' });
    return { customer, currency, amount: allocations.reduce((sum, a) => sum + a.amount, 0n), allocations };
  }

  private async queueReceipt(tx: EntityManager, transaction: Transaction, invoices: Invoice[], now: Date): Promise<void> {
    if (!transaction.customer) return;
    await queueEmail(
      tx,
      {
        merchantId: transaction.merchant.id,
        to: transaction.customer.email,
        template: 'payment-receipt',
        data: {
          merchantName: transaction.merchant.name,
          customerName: transaction.customer.name,
          invoiceNumbers: invoices.map((i) => i.number),
          amount: transaction.amount,
          currency: transaction.currency,
          methodLabel: describeMethod(transaction),
          authorizationCode: transaction.authorizationCode ?? 'pending',
          paidAt: now.toISOString(),
          status: transaction.status === TransactionStatus.PROCESSING ? 'processing' : 'succeeded',
        },
        related: { type: 'transaction', id: transaction.id },
      },
      now,
    );
  }
}

