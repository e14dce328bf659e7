import { createHash, randomBytes } from 'node:crypto';
import { type EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import {
  type CreatePaymentRequest,
  type DisputeEvidence,
  type MicrodepositAnswer,
  type MicrodepositVerification,
  type PaymentMethodDetails,
  type PaymentProcessor,
  type PayoutEntry,
  type ProcessorDispute,
  type ProcessorDisputeStatus,
  ProcessorError,
  type ProcessorEvent,
  type ProcessorPayment,
  type ProcessorPaymentStatus,
  type ProcessorPayout,
  type ProcessorReader,
  type ProcessorRefund,
  type RefundRequest,
  type RegisterReaderRequest,
  type SavedPaymentMethod,
  type SavePaymentMethodRequest,
  type TerminalPaymentRequest,
  WebhookSignatureError,
} from '../processor.port.js';
import {
  type Behaviour,
  declines,
  MICRODEPOSITS,
  sandboxDispute,
  simulatedReaderCodes,
  stripeTestPaymentMethods,
} from './sandbox.behaviours.js';
import { SandboxDispute, SandboxPayment, SandboxPaymentMethod, SandboxReader, SandboxRefund } from './sandbox.entities.js';

export interface SandboxOptions {
  /** A fresh EntityManager for each call: the sandbox never joins the caller's transaction. */
  em: () => EntityManager;
  /** Schedules the settlement of an ACH payment (the job queue). */
  scheduleAchStep(paymentId: string, runAt: Date): Promise<void>;
  /** The sandbox's "webhook": tells the app a payment of an account changed, as Stripe would. */
  notify(paymentReference: string, account: string | null): Promise<void>;
  /** The same for a dispute of an account's payment (Stripe's charge.dispute.* webhooks). */
  notifyDispute(disputeReference: string, account: string | null): Promise<void>;
  achSettleAfterMs: number;
  /** Simulated network time per call (benchmarks use 0). */
  latencyMs: number;
  /** The app's clock: a day's payout is paid once this passes the next midnight (UTC). */
  now: () => Date;
  /** Where the sandbox's own pages are served (its 3-D Secure challenge): the API's public URL, read when needed. */
  publicUrl: () => string;
}

const DAY_MS = 86_400_000;
/** `po_sbx_20261122_usd_<account>`: the sandbox pays out each account's UTC day of card payments, net of its refunds, per currency. */
const PAYOUT_REFERENCE = /^po_sbx_(\d{4})(\d{2})(\d{2})_([a-z]{3})_(acct_sbx_[A-Za-z0-9_-]+)$/;

/** The money of a sandbox payout: that day's succeeded card payments (ACH settles by its bank step) and refunds. */
const PAYOUT_ENTRIES_SQL = `
  select 'payment' as kind, p.id as reference, p.amount::text as amount, p.created_at, p.currency
  from sandbox_payment p
  where p.status = 'succeeded' and p.account = ?
    and not exists (select 1 from sandbox_payment_method m where m.id = p.payment_method and m.type = 'us_bank_account')
  union all
  select 'refund', r.id, r.amount::text, r.created_at, r.currency from sandbox_refund r where r.status = 'succeeded' and r.account = ?`;

/** A 3-D Secure challenge the customer failed: the payment fails as Stripe's does (payment_intent_authentication_failure). */
const AUTHENTICATION_FAILED = 'payment_intent_authentication_failure';
const authenticationFailed = {
  code: 'AUTHENTICATION_REQUIRED' as const,
  declineCode: AUTHENTICATION_FAILED,
  message: 'The card could not be authenticated. You have not been charged.',
};

/** A bank account whose micro-deposits were answered wrongly too often: the payment fails as Stripe's does. */
const MICRODEPOSITS_EXCEEDED = 'payment_method_microdeposit_verification_attempts_exceeded';
const microdepositsExceeded = {
  code: 'BANK_ACCOUNT_UNVERIFIED' as const,
  declineCode: MICRODEPOSITS_EXCEEDED,
  message: 'The bank account could not be verified: the micro-deposits were entered wrongly too many times. You have not been charged.',
};

/** Which micro-deposits a bank account that needs them is sent (Stripe's microdeposit_type). */
const microdepositTypes: Partial<Record<Behaviour, 'amounts' | 'descriptor_code'>> = {
  ach_microdeposits_amounts: 'amounts',
  ach_microdeposits_code: 'descriptor_code',
};

/** A saved card charged while the customer is away, whose issuer insists on authentication. */
const offSessionAuthentication = {
  code: 'AUTHENTICATION_REQUIRED' as const,
  declineCode: 'authentication_required',
  message: 'The card issuer asks the customer to authenticate this payment.',
};

const newId = (prefix: string) => `${prefix}_sbx_${randomBytes(12).toString('base64url')}`;
const authorizationCode = () => randomBytes(4).toString('hex').slice(0, 6).toUpperCase();
const hashOf = (value: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('hex');

const statusMap: Record<string, ProcessorPaymentStatus> = {
  succeeded: 'SUCCEEDED',
  processing: 'PROCESSING',
  requires_presentment: 'PROCESSING',
  requires_action: 'REQUIRES_ACTION',
  failed: 'FAILED',
  returned: 'RETURNED',
  canceled: 'CANCELED',
};

interface KnownMethod {
  details: PaymentMethodDetails;
  behaviour: Behaviour;
  customer: string | null;
}

/**
 * The embedded default processor. It behaves like Stripe's test mode: the tokeniser takes only
 * Stripe's test numbers, cards succeed or decline at once, ACH settles (or is returned) later
 * through the job queue, writes are idempotent by key, and a simulated reader takes card-present
 * payments.
 */
export class SandboxProcessor implements PaymentProcessor {
  readonly kind = 'sandbox' as const;

  /** `account`: the sandbox account every call is made for; null only for the test-mode controls, which find objects by id. */
  constructor(
    private readonly options: SandboxOptions,
    readonly account: string | null = null,
  ) {}

  /** Only this account's objects: another account's are no such object, as at Stripe. */
  private get own() {
    return this.account ? { account: this.account } : {};
  }

  async describePaymentMethod(paymentMethod: string): Promise<PaymentMethodDetails> {
    await this.network();
    return (await this.method(paymentMethod)).details;
  }

  async createPayment(request: CreatePaymentRequest): Promise<ProcessorPayment> {
    await this.network();
    // The sandbox takes no fee of its own, so the platform's application fee is no part of what it keeps.
    const requestHash = hashOf({ ...request, idempotencyKey: undefined, mandate: undefined, applicationFee: undefined });
    // A retry with the same key finds its payment when the insert below meets it (one statement on
    // the common path); a method gone since (detached) still replays its payment.
    const method = await this.method(request.paymentMethod, this.account).catch(async (error: unknown) => {
      const replay = await this.replay(request.idempotencyKey, requestHash);
      if (replay) return replay;
      throw error;
    });
    if ('status' in method) return method;
    // As at Stripe: a method attached to a customer is used with that customer, named in the request.
    if (method.customer && method.customer !== request.customerReference) {
      throw new ProcessorError(
        'INVALID_PAYMENT_METHOD',
        'The payment method is attached to a customer: it can be used only with that customer',
        false,
      );
    }
    const ach = method.details.type === 'us_bank_account';
    // As at Stripe, for a card whose issuer asks for 3-D Secure: the customer on the pay page is
    // challenged; a mail or phone order (MOTO) is outside SCA; a saved card charged off session is declined.
    const askedToAuthenticate = method.behaviour === 'authentication_required';
    // A bank account entered by the customer that cannot be verified instantly waits for its
    // micro-deposits; one staff enter holds the customer's signed authorization (offline mandate).
    const microdepositType = request.initiatedBy === 'customer' ? (microdepositTypes[method.behaviour] ?? null) : null;
    const challenged = (askedToAuthenticate && request.initiatedBy === 'customer') || microdepositType !== null;
    const decline = askedToAuthenticate && request.initiatedBy === 'off_session' ? offSessionAuthentication : declines[method.behaviour];
    const payment = this.options.em().create(SandboxPayment, {
      id: newId('pi'),
      idempotencyKey: request.idempotencyKey,
      requestHash,
      amount: request.amount,
      currency: request.currency,
      paymentMethod: request.paymentMethod,
      customer: request.customerReference ?? null,
      account: this.account,
      status: decline ? 'failed' : challenged ? 'requires_action' : ach ? 'processing' : 'succeeded',
      authorizationCode: decline || ach || challenged ? null : authorizationCode(),
      failureCode: decline?.declineCode ?? null,
      microdepositType,
      metadata: request.metadata,
    });
    const stored = await this.insertOnce(payment, request.idempotencyKey, requestHash);
    if (stored !== payment)
      return this.toPayment(stored, stored.paymentMethod ? (await this.method(stored.paymentMethod, this.account)).details : null);
    if (ach && !challenged) await this.options.scheduleAchStep(payment.id, new Date(Date.now() + this.options.achSettleAfterMs));
    if (method.behaviour === 'disputed' && payment.status === 'succeeded') await this.openDispute(payment);
    return this.toPayment(stored, method.details);
  }

  /**
   * The customer's answer to the micro-deposits, as Stripe checks it: right, the debit goes on
   * (processing, then settles through the bank step); wrong, one attempt is used up, and the tenth
   * wrong answer fails the payment. Stripe's test answers that use up every attempt at once are kept.
   */
  async verifyMicrodeposits(reference: string, answer: MicrodepositAnswer): Promise<MicrodepositVerification> {
    await this.network();
    const outcome = await this.options.em().transactional(async (tx) => {
      const payment = await tx.findOne(SandboxPayment, { id: reference, ...this.own }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!payment) throw new ProcessorError('INVALID_REQUEST', `No such payment: ${reference}`, false);
      if (payment.status !== 'requires_action' || !payment.microdepositType) return { payment, mismatch: null, verified: false };
      const byAmounts = 'amounts' in answer;
      if (byAmounts !== (payment.microdepositType === 'amounts')) {
        throw new ProcessorError('INVALID_REQUEST', `This bank account was sent ${payment.microdepositType} micro-deposits`, false);
      }
      const given = byAmounts ? [...answer.amounts].sort((a, b) => Number(a - b)).join(',') : answer.descriptorCode.toUpperCase();
      const expected = byAmounts ? MICRODEPOSITS.amounts.join(',') : MICRODEPOSITS.descriptorCode;
      const exceeding = byAmounts ? MICRODEPOSITS.exceedAmounts.join(',') : MICRODEPOSITS.exceedDescriptorCode;
      if (given === expected) {
        payment.status = 'processing';
        return { payment, mismatch: null, verified: true };
      }
      payment.verificationAttempts = given === exceeding ? MICRODEPOSITS.maxAttempts : payment.verificationAttempts + 1;
      const attemptsRemaining = MICRODEPOSITS.maxAttempts - payment.verificationAttempts;
      if (attemptsRemaining > 0) return { payment, mismatch: { attemptsRemaining }, verified: false };
      Object.assign(payment, { status: 'failed', failureCode: MICRODEPOSITS_EXCEEDED });
      return { payment, mismatch: null, verified: false };
    });
    if (outcome.verified) await this.options.scheduleAchStep(reference, new Date(Date.now() + this.options.achSettleAfterMs));
    if (outcome.verified || outcome.payment.status === 'failed') await this.options.notify(reference, this.account);
    return { payment: await this.retrievePayment(reference), mismatch: outcome.mismatch };
  }

  async cancelPayment(reference: string): Promise<ProcessorPayment> {
    await this.network();
    const em = this.options.em();
    // Only a payment that captured nothing can be canceled; one the customer completed first stays as it is.
    await em.nativeUpdate(SandboxPayment, { id: reference, status: 'requires_action', ...this.own }, { status: 'canceled' });
    return this.retrievePayment(reference);
  }

  async retrievePayment(reference: string): Promise<ProcessorPayment> {
    await this.network();
    const payment = await this.options.em().findOne(SandboxPayment, { id: reference, ...this.own });
    if (!payment) throw new ProcessorError('INVALID_REQUEST', `No such payment: ${reference}`, false);
    return this.toPayment(payment, payment.paymentMethod ? (await this.method(payment.paymentMethod)).details : null);
  }

  async refund(request: RefundRequest): Promise<ProcessorRefund> {
    await this.network();
    const em = this.options.em();
    const requestHash = hashOf({ payment: request.paymentReference, amount: request.amount });
    const existing = await em.findOne(SandboxRefund, { idempotencyKey: request.idempotencyKey, ...this.own });
    if (existing) {
      if (existing.requestHash !== requestHash)
        throw new ProcessorError('INVALID_REQUEST', 'Idempotency key reused with other parameters', false);
      return this.toRefund(existing);
    }
    return em.transactional(async (tx) => {
      const payment = await tx.findOne(
        SandboxPayment,
        { id: request.paymentReference, ...this.own },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!payment) throw new ProcessorError('INVALID_REQUEST', `No such payment: ${request.paymentReference}`, false);
      if (payment.status !== 'succeeded') throw new ProcessorError('INVALID_REQUEST', 'Only a succeeded payment can be refunded', false);
      if (request.amount <= 0n || payment.refunded + request.amount > payment.amount) {
        throw new ProcessorError('INVALID_REQUEST', 'The refund exceeds what is left of the payment', false);
      }
      payment.refunded += request.amount;
      const refund = tx.create(SandboxRefund, {
        id: newId('re'),
        idempotencyKey: request.idempotencyKey,
        requestHash,
        payment: payment.id,
        amount: request.amount,
        currency: payment.currency,
        status: 'succeeded',
        account: this.account,
      });
      return this.toRefund(refund);
    });
  }

  async retrieveRefund(reference: string): Promise<ProcessorRefund> {
    await this.network();
    const refund = await this.options.em().findOne(SandboxRefund, { id: reference, ...this.own });
    if (!refund) throw new ProcessorError('INVALID_REQUEST', `No such refund: ${reference}`, false);
    return this.toRefund(refund);
  }

  async savePaymentMethod(request: SavePaymentMethodRequest): Promise<SavedPaymentMethod> {
    await this.network();
    const em = this.options.em();
    const method = await this.method(request.paymentMethod, this.account);
    if (method.details.type !== 'card') throw new ProcessorError('INVALID_PAYMENT_METHOD', 'Only cards can be saved', false);
    const decline = declines[method.behaviour];
    if (decline) throw new ProcessorError(decline.code, decline.message, false, decline.declineCode);
    const customerReference = request.customerReference ?? `cus_sbx_${hashOf(request.idempotencyKey).slice(0, 16)}`;
    const stored = await em.findOne(SandboxPaymentMethod, { id: request.paymentMethod });
    if (stored) {
      if (stored.customer && stored.customer !== customerReference)
        throw new ProcessorError('INVALID_PAYMENT_METHOD', 'The card is already saved for another customer', false);
      stored.customer = customerReference;
      await em.flush();
    }
    return { customerReference, paymentMethod: method.details };
  }

  async detachPaymentMethod(paymentMethod: string): Promise<void> {
    await this.network();
    const em = this.options.em();
    const stored = await em.findOne(SandboxPaymentMethod, { id: paymentMethod, ...this.own });
    if (!stored) throw new ProcessorError('INVALID_PAYMENT_METHOD', 'No such payment method', false);
    stored.detachedAt ??= new Date();
    await em.flush();
  }

  async registerReader(request: RegisterReaderRequest): Promise<ProcessorReader> {
    await this.network();
    const deviceType = simulatedReaderCodes[request.registrationCode];
    if (!deviceType)
      throw new ProcessorError(
        'INVALID_REQUEST',
        `Unknown registration code; the sandbox accepts ${Object.keys(simulatedReaderCodes).join(', ')}`,
        false,
      );
    const em = this.options.em();
    const existing = await em.findOne(SandboxReader, { idempotencyKey: request.idempotencyKey, ...this.own });
    const reader =
      existing ??
      em.create(SandboxReader, { id: newId('tmr'), label: request.label, idempotencyKey: request.idempotencyKey, account: this.account });
    await em.flush();
    return { reference: reader.id, label: reader.label, status: 'online', deviceType };
  }

  async collectOnReader(request: TerminalPaymentRequest): Promise<ProcessorPayment> {
    await this.network();
    const requestHash = hashOf({ ...request, idempotencyKey: undefined, applicationFee: undefined });
    const replay = await this.replay(request.idempotencyKey, requestHash);
    if (replay) return replay;
    if (!(await this.options.em().findOne(SandboxReader, { id: request.readerReference, ...this.own }))) {
      throw new ProcessorError('INVALID_REQUEST', `No such reader: ${request.readerReference}`, false);
    }
    const payment = this.options.em().create(SandboxPayment, {
      id: newId('pi'),
      idempotencyKey: request.idempotencyKey,
      requestHash,
      amount: request.amount,
      currency: request.currency,
      paymentMethod: null,
      reader: request.readerReference,
      account: this.account,
      status: 'requires_presentment',
      metadata: request.metadata,
    });
    return this.toPayment(await this.insertOnce(payment, request.idempotencyKey, requestHash), null);
  }

  async *listPayouts(since: Date): AsyncIterable<ProcessorPayout> {
    await this.network();
    if (!this.account) return;
    const today = startOfUtcDay(this.options.now());
    const days = await this.options.em().execute<{ day: Date; currency: string; amount: string }[]>(
      `select date_trunc('day', e.created_at at time zone 'UTC') at time zone 'UTC' as day, lower(e.currency) as currency,
              sum(case when e.kind = 'payment' then e.amount::bigint else -e.amount::bigint end)::text as amount
       from (${PAYOUT_ENTRIES_SQL}) e
       where e.created_at >= ? and e.created_at < ?
       group by 1, 2 order by 1, 2`,
      [this.account, this.account, startOfUtcDay(since), today],
    );
    for (const { day, currency, amount } of days) {
      yield this.payout(new Date(day), currency, BigInt(amount));
    }
  }

  async retrievePayout(reference: string): Promise<ProcessorPayout> {
    await this.network();
    const { day, currency } = this.parsePayoutReference(reference);
    let amount = 0n;
    for await (const entry of this.listPayoutEntries(reference)) amount += entry.kind === 'payment' ? entry.amount : -entry.amount;
    return this.payout(day, currency, amount);
  }

  async *listPayoutEntries(payoutReference: string): AsyncIterable<PayoutEntry> {
    const { day, currency } = this.parsePayoutReference(payoutReference);
    const rows = await this.options.em().execute<{ kind: 'payment' | 'refund'; reference: string; amount: string }[]>(
      `select e.kind, e.reference, e.amount from (${PAYOUT_ENTRIES_SQL}) e
       where e.created_at >= ? and e.created_at < ? and lower(e.currency) = ? order by e.created_at, e.reference`,
      [this.account, this.account, day, new Date(day.getTime() + DAY_MS), currency],
    );
    // The sandbox reports no fee of its own: the app keeps the one it worked out.
    for (const row of rows) yield { kind: row.kind, reference: row.reference, amount: BigInt(row.amount), fee: 0n };
  }

  private payout(day: Date, currency: string, amount: bigint): ProcessorPayout {
    const arrivalDate = new Date(day.getTime() + DAY_MS);
    return {
      reference: `po_sbx_${day.toISOString().slice(0, 10).replaceAll('-', '')}_${currency}_${this.account}`,
      status: arrivalDate <= this.options.now() ? 'PAID' : 'IN_TRANSIT',
      amount,
      currency: currency.toUpperCase(),
      arrivalDate,
      createdAt: arrivalDate,
    };
  }

  /** A payout of this account only: another account's is no such payout. */
  private parsePayoutReference(reference: string): { day: Date; currency: string } {
    const match = PAYOUT_REFERENCE.exec(reference);
    if (!match || match[5] !== this.account) throw new ProcessorError('INVALID_REQUEST', `No such payout: ${reference}`, false);
    return { day: new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00Z`), currency: match[4] };
  }

  async retrieveDispute(reference: string): Promise<ProcessorDispute> {
    await this.network();
    return toDispute((await this.ownDispute(this.options.em(), reference)).dispute);
  }

  /** As at Stripe: evidence is staged, or submitted, which puts the dispute under review; a closed dispute takes none. */
  async submitDisputeEvidence(reference: string, evidence: DisputeEvidence): Promise<ProcessorDispute> {
    await this.network();
    const em = this.options.em();
    const { dispute, account } = await this.ownDispute(em, reference);
    if (dispute.status !== 'needs_response') {
      throw new ProcessorError('INVALID_REQUEST', `This dispute is ${dispute.status}: it takes no more evidence`, false);
    }
    dispute.evidence = {
      uncategorized_text: evidence.explanation,
      ...(evidence.customerCommunication && { customer_communication: evidence.customerCommunication }),
      ...(evidence.receipt && { receipt: evidence.receipt }),
    };
    if (evidence.submit) dispute.status = 'under_review';
    await em.flush();
    if (evidence.submit) await this.options.notifyDispute(dispute.id, account);
    return toDispute(dispute);
  }

  /** A dispute of this account's payments only: another account's is no such dispute (the controls find any). */
  private async ownDispute(em: EntityManager, reference: string): Promise<{ dispute: SandboxDispute; account: string | null }> {
    const dispute = await em.findOne(SandboxDispute, { id: reference });
    const payment = dispute ? await em.findOne(SandboxPayment, { id: dispute.payment, ...this.own }) : null;
    if (!dispute || !payment) throw new ProcessorError('INVALID_REQUEST', `No such dispute: ${reference}`, false);
    return { dispute, account: payment.account ?? null };
  }

  parseWebhook(): ProcessorEvent {
    throw new WebhookSignatureError('The sandbox processor sends no webhooks; it notifies the app directly');
  }

  // ---- test-mode controls (the sandbox's equivalent of Stripe's test helpers) ----

  /** A customer taps or inserts a test card on the simulated reader. */
  async presentOnReader(readerReference: string, paymentMethod: string): Promise<ProcessorPayment> {
    const em = this.options.em();
    const payment = await em.findOne(
      SandboxPayment,
      { reader: readerReference, status: 'requires_presentment' },
      { orderBy: { createdAt: 'desc' } },
    );
    if (!payment) throw new ProcessorError('INVALID_REQUEST', 'The reader has no payment waiting for a card', false);
    const method = await this.method(paymentMethod, payment.account);
    const decline = declines[method.behaviour];
    Object.assign(payment, {
      paymentMethod,
      status: decline ? 'failed' : 'succeeded',
      authorizationCode: decline ? null : authorizationCode(),
      failureCode: decline?.declineCode ?? null,
    });
    await em.flush();
    await this.options.notify(payment.id, payment.account ?? null);
    return this.toPayment(payment, { ...method.details, type: 'card_present' });
  }

  /**
   * The customer's 3-D Secure challenge, completed or failed (the sandbox's challenge page posts it):
   * the payment goes on to succeeded, or fails as Stripe's would. The app hears of it as of a webhook.
   */
  async completeChallenge(reference: string, outcome: 'complete' | 'fail'): Promise<ProcessorPayment> {
    const em = this.options.em();
    const payment = await em.findOne(SandboxPayment, { id: reference });
    if (!payment) throw new ProcessorError('INVALID_REQUEST', `No such payment: ${reference}`, false);
    if (payment.status === 'requires_action' && !payment.microdepositType) {
      Object.assign(
        payment,
        outcome === 'complete'
          ? { status: 'succeeded', authorizationCode: authorizationCode() }
          : { status: 'failed', failureCode: AUTHENTICATION_FAILED },
      );
      await em.flush();
      await this.options.notify(payment.id, payment.account ?? null);
    }
    return this.toPayment(payment, payment.paymentMethod ? (await this.method(payment.paymentMethod, payment.account)).details : null);
  }

  /** The card network decides a dispute (POST /sandbox/v1/disputes/{id}/close): won gives the money back, lost keeps it with the cardholder. */
  async closeDispute(reference: string, outcome: 'won' | 'lost'): Promise<ProcessorDispute> {
    const em = this.options.em();
    const { dispute, account } = await this.ownDispute(em, reference);
    if (dispute.status === 'won' || dispute.status === 'lost') {
      throw new ProcessorError('INVALID_REQUEST', `This dispute is already ${dispute.status}`, false);
    }
    dispute.status = outcome;
    await em.flush();
    await this.options.notifyDispute(dispute.id, account);
    return toDispute(dispute);
  }

  /** The cardholder disputes a payment that just succeeded: its amount and the fee leave the balance at once. */
  private async openDispute(payment: SandboxPayment): Promise<void> {
    const dispute = this.options.em().create(SandboxDispute, {
      id: newId('du'),
      payment: payment.id,
      amount: payment.amount,
      currency: payment.currency,
      status: 'needs_response',
      reason: sandboxDispute.reason,
      fee: sandboxDispute.fee,
      evidenceDueBy: new Date(this.options.now().getTime() + sandboxDispute.evidenceDays * DAY_MS),
    });
    await this.options.em().insert(dispute);
    await this.options.notifyDispute(dispute.id, payment.account ?? null);
  }

  /** The ACH job: processing -> succeeded, and for the returning account later succeeded -> returned. */
  async advanceAch(paymentId: string): Promise<void> {
    const em = this.options.em();
    const payment = await em.findOne(SandboxPayment, { id: paymentId });
    if (!payment?.paymentMethod) return;
    const method = await this.method(payment.paymentMethod);
    if (payment.status === 'processing') {
      payment.status = 'succeeded';
      payment.authorizationCode = authorizationCode();
      await em.flush();
      if (method.behaviour === 'ach_returns')
        await this.options.scheduleAchStep(payment.id, new Date(Date.now() + this.options.achSettleAfterMs));
    } else if (payment.status === 'succeeded' && method.behaviour === 'ach_returns') {
      payment.status = 'returned';
      payment.failureCode = 'R01';
      await em.flush();
    } else {
      return;
    }
    await this.options.notify(payment.id, payment.account ?? null);
  }

  /**
   * A payment method, as seen from `account` when one is given: a stored method is claimed by the
   * first account that uses it, and is no such method for any other (Stripe's answer for another
   * account's object). Stripe's shared test methods (pm_card_visa...) exist in every account.
   */
  private async method(reference: string, account?: string | null): Promise<KnownMethod> {
    const predefined = stripeTestPaymentMethods[reference];
    if (predefined) {
      return {
        details: {
          reference,
          type: 'card',
          brand: predefined.brand,
          last4: predefined.last4,
          expMonth: 12,
          expYear: new Date().getUTCFullYear() + 5,
          funding: predefined.funding,
        },
        behaviour: predefined.behaviour,
        customer: null,
      };
    }
    const stored = /^pm_sbx_[A-Za-z0-9_-]+$/.test(reference)
      ? await this.options.em().findOne(SandboxPaymentMethod, { id: reference })
      : null;
    if (!stored || stored.detachedAt) throw new ProcessorError('INVALID_PAYMENT_METHOD', 'No such payment method', false);
    if (account && stored.account !== account) {
      if (stored.account) throw new ProcessorError('INVALID_PAYMENT_METHOD', 'No such payment method', false);
      // One statement: of two accounts racing for an unclaimed method, one wins (and a call of the same account racing this one is no rival).
      const claimed = await this.options.em().nativeUpdate(SandboxPaymentMethod, { id: reference, account: null }, { account });
      const owner = claimed ? account : (await this.options.em().findOne(SandboxPaymentMethod, { id: reference }))?.account;
      if (owner !== account) throw new ProcessorError('INVALID_PAYMENT_METHOD', 'No such payment method', false);
    }
    return {
      details: {
        reference,
        type: stored.type === 'us_bank_account' ? 'us_bank_account' : 'card',
        brand: stored.brand ?? null,
        last4: stored.last4,
        expMonth: stored.expMonth ?? null,
        expYear: stored.expYear ?? null,
        funding: (stored.funding as PaymentMethodDetails['funding']) ?? null,
      },
      behaviour: stored.behaviour as Behaviour,
      customer: stored.customer ?? null,
    };
  }

  private async replay(idempotencyKey: string, requestHash: string): Promise<ProcessorPayment | null> {
    const existing = await this.options.em().findOne(SandboxPayment, { idempotencyKey });
    if (!existing) return null;
    if (existing.requestHash !== requestHash)
      throw new ProcessorError('INVALID_REQUEST', 'Idempotency key reused with other parameters', false);
    return this.toPayment(existing, existing.paymentMethod ? (await this.method(existing.paymentMethod)).details : null);
  }

  /** Inserts a new payment; a concurrent twin with the same key wins and is returned instead. */
  private async insertOnce(payment: SandboxPayment, idempotencyKey: string, requestHash: string): Promise<SandboxPayment> {
    try {
      // One INSERT in its own implicit transaction: a flush would wrap it in BEGIN ... COMMIT.
      await this.options.em().insert(payment);
      return payment;
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const twin = await this.options.em().findOneOrFail(SandboxPayment, { idempotencyKey });
      if (twin.requestHash !== requestHash)
        throw new ProcessorError('INVALID_REQUEST', 'Idempotency key reused with other parameters', false);
      return twin;
    }
  }

  private toPayment(payment: SandboxPayment, method: PaymentMethodDetails | null): ProcessorPayment {
    const status = statusMap[payment.status];
    const decline =
      [authenticationFailed, offSessionAuthentication, microdepositsExceeded].find((d) => d.declineCode === payment.failureCode) ??
      Object.values(declines).find((d) => d?.declineCode === payment.failureCode);
    const failure =
      status === 'FAILED' || status === 'RETURNED'
        ? payment.status === 'returned'
          ? {
              code: 'PAYMENT_DECLINED' as const,
              message: 'The bank returned the payment (R01: insufficient funds).',
              declineCode: payment.failureCode ?? null,
            }
          : {
              code: decline?.code ?? ('PAYMENT_DECLINED' as const),
              message: decline?.message ?? 'The payment was declined.',
              declineCode: payment.failureCode ?? null,
            }
        : null;
    return {
      reference: payment.id,
      status,
      nextAction: status === 'REQUIRES_ACTION' ? this.nextAction(payment) : null,
      amount: payment.amount,
      currency: payment.currency,
      authorizationCode: payment.authorizationCode ?? null,
      paymentMethod: method,
      failure,
      fee: null,
      metadata: payment.metadata,
    };
  }

  /** A card's 3-D Secure challenge (the sandbox's page), or micro-deposits (answered on the pay page itself). */
  private nextAction(payment: SandboxPayment): ProcessorPayment['nextAction'] {
    if (payment.microdepositType) {
      return {
        type: 'VERIFY_MICRODEPOSITS',
        url: null,
        clientSecret: null,
        microdepositType: payment.microdepositType === 'amounts' ? 'AMOUNTS' : 'DESCRIPTOR_CODE',
      };
    }
    return {
      type: 'AUTHENTICATE',
      url: `${this.options.publicUrl()}/sandbox/v1/payment_intents/${payment.id}/challenge`,
      clientSecret: null,
    };
  }

  private toRefund(refund: SandboxRefund): ProcessorRefund {
    return {
      reference: refund.id,
      paymentReference: refund.payment,
      status: 'SUCCEEDED',
      amount: refund.amount,
      currency: refund.currency,
      failure: null,
    };
  }

  private async network(): Promise<void> {
    if (this.options.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
  }
}

const disputeStatuses: Record<string, ProcessorDisputeStatus> = {
  needs_response: 'NEEDS_RESPONSE',
  under_review: 'UNDER_REVIEW',
  won: 'WON',
  lost: 'LOST',
};

function toDispute(dispute: SandboxDispute): ProcessorDispute {
  const status = disputeStatuses[dispute.status];
  return {
    reference: dispute.id,
    paymentReference: dispute.payment,
    status,
    amount: dispute.amount,
    currency: dispute.currency,
    fee: dispute.fee,
    reason: dispute.reason,
    evidenceDueBy: status === 'NEEDS_RESPONSE' ? dispute.evidenceDueBy : null,
    createdAt: dispute.createdAt,
  };
}

function startOfUtcDay(moment: Date): Date {
  return new Date(Math.floor(moment.getTime() / DAY_MS) * DAY_MS);
}
