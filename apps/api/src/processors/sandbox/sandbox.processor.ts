import { createHash, randomBytes } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import {
  ProcessorError,
  WebhookSignatureError,
  type CreatePaymentRequest,
  type PaymentMethodDetails,
  type PaymentProcessor,
  type PayoutEntry,
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
} from '../processor.port.js';
import { type Behaviour, declines, simulatedReaderCodes, stripeTestPaymentMethods } from './sandbox.behaviours.js';
import { SandboxPayment, SandboxPaymentMethod, SandboxReader, SandboxRefund } from './sandbox.entities.js';

export interface SandboxOptions {
  /** A fresh EntityManager for each call: the sandbox never joins the caller's transaction. */
  em: () => EntityManager;
  /** Schedules the settlement of an ACH payment (the job queue). */
  scheduleAchStep(paymentId: string, runAt: Date): Promise<void>;
  /** The sandbox's "webhook": tells the app a payment changed, as Stripe would. */
  notify(paymentReference: string): Promise<void>;
  achSettleAfterMs: number;
  /** Simulated network time per call (benchmarks use 0). */
  latencyMs: number;
  /** The app's clock: a day's payout is paid once this passes the next midnight (UTC). */
  now: () => Date;
}

const DAY_MS = 86_400_000;
/** `po_sbx_20261122_usd`: the sandbox pays out each UTC day's card payments, net of its refunds, per currency. */
const PAYOUT_REFERENCE = /^po_sbx_(\d{4})(\d{2})(\d{2})_([a-z]{3})$/;

/** The money of a sandbox payout: that day's succeeded card payments (ACH settles by its bank step) and refunds. */
const PAYOUT_ENTRIES_SQL = `
  select 'payment' as kind, p.id as reference, p.amount::text as amount, p.created_at, p.currency
  from sandbox_payment p
  where p.status = 'succeeded'
    and not exists (select 1 from sandbox_payment_method m where m.id = p.payment_method and m.type = 'us_bank_account')
  union all
  select 'refund', r.id, r.amount::text, r.created_at, r.currency from sandbox_refund r where r.status = 'succeeded'`;

const newId = (prefix: string) => `${prefix}_sbx_${randomBytes(12).toString('base64url')}`;
const authorizationCode = () => randomBytes(4).toString('hex').slice(0, 6).toUpperCase();
const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).digest('hex');

const statusMap: Record<string, ProcessorPaymentStatus> = {
  succeeded: 'SUCCEEDED',
  processing: 'PROCESSING',
  requires_presentment: 'PROCESSING',
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

  constructor(private readonly options: SandboxOptions) {}

  async describePaymentMethod(paymentMethod: string): Promise<PaymentMethodDetails> {
    await this.network();
    return (await this.method(paymentMethod)).details;
  }

  async createPayment(request: CreatePaymentRequest): Promise<ProcessorPayment> {
    await this.network();
    const requestHash = hashOf({ ...request, idempotencyKey: undefined, mandate: undefined });
    const replay = await this.replay(request.idempotencyKey, requestHash);
    if (replay) return replay;

    const method = await this.method(request.paymentMethod);
    if (method.customer && request.customerReference && method.customer !== request.customerReference) {
      throw new ProcessorError('INVALID_PAYMENT_METHOD', 'The payment method belongs to another customer', false);
    }
    const decline = declines[method.behaviour];
    const ach = method.details.type === 'us_bank_account';
    const payment = this.options.em().create(SandboxPayment, {
      id: newId('pi'),
      idempotencyKey: request.idempotencyKey,
      requestHash,
      amount: request.amount,
      currency: request.currency,
      paymentMethod: request.paymentMethod,
      customer: request.customerReference ?? null,
      status: decline ? 'failed' : ach ? 'processing' : 'succeeded',
      authorizationCode: decline || ach ? null : authorizationCode(),
      failureCode: decline?.declineCode ?? null,
      metadata: request.metadata,
    });
    const stored = await this.insertOnce(payment, request.idempotencyKey, requestHash);
    if (stored === payment && ach) await this.options.scheduleAchStep(payment.id, new Date(Date.now() + this.options.achSettleAfterMs));
    return this.toPayment(stored, method.details);
  }

  async retrievePayment(reference: string): Promise<ProcessorPayment> {
    await this.network();
    const payment = await this.options.em().findOne(SandboxPayment, { id: reference });
    if (!payment) throw new ProcessorError('INVALID_REQUEST', `No such payment: ${reference}`, false);
    return this.toPayment(payment, payment.paymentMethod ? (await this.method(payment.paymentMethod)).details : null);
  }

  async refund(request: RefundRequest): Promise<ProcessorRefund> {
    await this.network();
    const em = this.options.em();
    const requestHash = hashOf({ payment: request.paymentReference, amount: request.amount });
    const existing = await em.findOne(SandboxRefund, { idempotencyKey: request.idempotencyKey });
    if (existing) {
      if (existing.requestHash !== requestHash) throw new ProcessorError('INVALID_REQUEST', 'Idempotency key reused with other parameters', false);
      return this.toRefund(existing);
    }
    return em.transactional(async (tx) => {
      const payment = await tx.findOne(SandboxPayment, { id: request.paymentReference }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!payment || payment.status !== 'succeeded') throw new ProcessorError('INVALID_REQUEST', 'Only a succeeded payment can be refunded', false);
      if (request.amount <= 0n || payment.refunded + request.amount > payment.amount) {
        throw new ProcessorError('INVALID_REQUEST', 'The refund exceeds what is left of the payment', false);
      }
      payment.refunded += request.amount;
      const refund = tx.create(SandboxRefund, { id: newId('re'), idempotencyKey: request.idempotencyKey, requestHash, payment: payment.id, amount: request.amount, currency: payment.currency, status: 'succeeded' });
      return this.toRefund(refund);
    });
  }

  async retrieveRefund(reference: string): Promise<ProcessorRefund> {
    await this.network();
    const refund = await this.options.em().findOne(SandboxRefund, { id: reference });
    if (!refund) throw new ProcessorError('INVALID_REQUEST', `No such refund: ${reference}`, false);
    return this.toRefund(refund);
  }

  async savePaymentMethod(request: SavePaymentMethodRequest): Promise<SavedPaymentMethod> {
    await this.network();
    const em = this.options.em();
    const method = await this.method(request.paymentMethod);
    if (method.details.type !== 'card') throw new ProcessorError('INVALID_PAYMENT_METHOD', 'Only cards can be saved', false);
    const decline = declines[method.behaviour];
    if (decline) throw new ProcessorError(decline.code, decline.message, false, decline.declineCode);
    const customerReference = request.customerReference ?? `cus_sbx_${hashOf(request.idempotencyKey).slice(0, 16)}`;
    const stored = await em.findOne(SandboxPaymentMethod, { id: request.paymentMethod });
    if (stored) {
      if (stored.customer && stored.customer !== customerReference) throw new ProcessorError('INVALID_PAYMENT_METHOD', 'The card is already saved for another customer', false);
      stored.customer = customerReference;
      await em.flush();
    }
    return { customerReference, paymentMethod: method.details };
  }

  async detachPaymentMethod(paymentMethod: string): Promise<void> {
    await this.network();
    const em = this.options.em();
    const stored = await em.findOne(SandboxPaymentMethod, { id: paymentMethod });
    if (!stored) throw new ProcessorError('INVALID_PAYMENT_METHOD', 'No such payment method', false);
    stored.detachedAt ??= new Date();
    await em.flush();
  }

  async registerReader(request: RegisterReaderRequest): Promise<ProcessorReader> {
    await this.network();
    const deviceType = simulatedReaderCodes[request.registrationCode];
    if (!deviceType) throw new ProcessorError('INVALID_REQUEST', `Unknown registration code; the sandbox accepts ${Object.keys(simulatedReaderCodes).join(', ')}`, false);
    const em = this.options.em();
    const existing = await em.findOne(SandboxReader, { idempotencyKey: request.idempotencyKey });
    const reader = existing ?? em.create(SandboxReader, { id: newId('tmr'), label: request.label, idempotencyKey: request.idempotencyKey });
    await em.flush();
    return { reference: reader.id, label: reader.label, status: 'online', deviceType };
  }

  async collectOnReader(request: TerminalPaymentRequest): Promise<ProcessorPayment> {
    await this.network();
    const requestHash = hashOf({ ...request, idempotencyKey: undefined });
    const replay = await this.replay(request.idempotencyKey, requestHash);
    if (replay) return replay;
    if (!(await this.options.em().findOne(SandboxReader, { id: request.readerReference }))) {
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
      status: 'requires_presentment',
      metadata: request.metadata,
    });
    return this.toPayment(await this.insertOnce(payment, request.idempotencyKey, requestHash), null);
  }

  async *listPayouts(since: Date): AsyncIterable<ProcessorPayout> {
    await this.network();
    const today = startOfUtcDay(this.options.now());
    const days = await this.options.em().execute<{ day: Date; currency: string; amount: string }[]>(
      `select date_trunc('day', e.created_at at time zone 'UTC') at time zone 'UTC' as day, lower(e.currency) as currency,
              sum(case when e.kind = 'payment' then e.amount::bigint else -e.amount::bigint end)::text as amount
       from (${PAYOUT_ENTRIES_SQL}) e
       where e.created_at >= ? and e.created_at < ?
       group by 1, 2 order by 1, 2`,
      [startOfUtcDay(since), today],
    );
    for (const { day, currency, amount } of days) {
      yield this.payout(new Date(day), currency, BigInt(amount));
    }
  }

  async retrievePayout(reference: string): Promise<ProcessorPayout> {
    await this.network();
    const { day, currency } = parsePayoutReference(reference);
    let amount = 0n;
    for await (const entry of this.listPayoutEntries(reference)) amount += entry.kind === 'payment' ? entry.amount : -entry.amount;
    return this.payout(day, currency, amount);
  }

  async *listPayoutEntries(payoutReference: string): AsyncIterable<PayoutEntry> {
    const { day, currency } = parsePayoutReference(payoutReference);
    const rows = await this.options.em().execute<{ kind: 'payment' | 'refund'; reference: string; amount: string }[]>(
      `select e.kind, e.reference, e.amount from (${PAYOUT_ENTRIES_SQL}) e
       where e.created_at >= ? and e.created_at < ? and lower(e.currency) = ? order by e.created_at, e.reference`,
      [day, new Date(day.getTime() + DAY_MS), currency],
    );
    // The sandbox reports no fee of its own: the app keeps the one it worked out.
    for (const row of rows) yield { kind: row.kind, reference: row.reference, amount: BigInt(row.amount), fee: 0n };
  }

  private payout(day: Date, currency: string, amount: bigint): ProcessorPayout {
    const arrivalDate = new Date(day.getTime() + DAY_MS);
    return {
      reference: `po_sbx_${day.toISOString().slice(0, 10).replaceAll('-', '')}_${currency}`,
      status: arrivalDate <= this.options.now() ? 'PAID' : 'IN_TRANSIT',
      amount,
      currency: currency.toUpperCase(),
      arrivalDate,
      createdAt: arrivalDate,
    };
  }

  parseWebhook(): ProcessorEvent {
    throw new WebhookSignatureError('The sandbox processor sends no webhooks; it notifies the app directly');
  }

  // ---- test-mode controls (the sandbox's equivalent of Stripe's test helpers) ----

  /** A customer taps or inserts a test card on the simulated reader. */
  async presentOnReader(readerReference: string, paymentMethod: string): Promise<ProcessorPayment> {
    const em = this.options.em();
    const payment = await em.findOne(SandboxPayment, { reader: readerReference, status: 'requires_presentment' }, { orderBy: { createdAt: 'desc' } });
    if (!payment) throw new ProcessorError('INVALID_REQUEST', 'The reader has no payment waiting for a card', false);
    const method = await this.method(paymentMethod);
    const decline = declines[method.behaviour];
    Object.assign(payment, {
      paymentMethod,
      status: decline ? 'failed' : 'succeeded',
      authorizationCode: decline ? null : authorizationCode(),
      failureCode: decline?.declineCode ?? null,
    });
    await em.flush();
    await this.options.notify(payment.id);
    return this.toPayment(payment, { ...method.details, type: 'card_present' });
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
      if (method.behaviour === 'ach_returns') await this.options.scheduleAchStep(payment.id, new Date(Date.now() + this.options.achSettleAfterMs));
    } else if (payment.status === 'succeeded' && method.behaviour === 'ach_returns') {
      payment.status = 'returned';
      payment.failureCode = 'R01';
      await em.flush();
    } else {
      return;
    }
    await this.options.notify(payment.id);
  }

  private async method(reference: string): Promise<KnownMethod> {
    const predefined = stripeTestPaymentMethods[reference];
    if (predefined) {
      return {
        details: { reference, type: 'card', brand: predefined.brand, last4: predefined.last4, expMonth: 12, expYear: new Date().getUTCFullYear() + 5, funding: predefined.funding },
        behaviour: predefined.behaviour,
        customer: null,
      };
    }
    const stored = /^pm_sbx_[A-Za-z0-9_-]+$/.test(reference) ? await this.options.em().findOne(SandboxPaymentMethod, { id: reference }) : null;
    if (!stored || stored.detachedAt) throw new ProcessorError('INVALID_PAYMENT_METHOD', 'No such payment method', false);
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
    if (existing.requestHash !== requestHash) throw new ProcessorError('INVALID_REQUEST', 'Idempotency key reused with other parameters', false);
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
      if (twin.requestHash !== requestHash) throw new ProcessorError('INVALID_REQUEST', 'Idempotency key reused with other parameters', false);
      return twin;
    }
  }

  private toPayment(payment: SandboxPayment, method: PaymentMethodDetails | null): ProcessorPayment {
    const status = statusMap[payment.status];
    const decline = Object.values(declines).find((d) => d?.declineCode === payment.failureCode);
    const failure =
      status === 'FAILED' || status === 'RETURNED'
        ? payment.status === 'returned'
          ? { code: 'PAYMENT_DECLINED' as const, message: 'The bank returned the payment (R01: insufficient funds).', declineCode: payment.failureCode ?? null }
          : { code: decline?.code ?? ('PAYMENT_DECLINED' as const), message: decline?.message ?? 'The payment was declined.', declineCode: payment.failureCode ?? null }
        : null;
    return {
      reference: payment.id,
      status,
      amount: payment.amount,
      currency: payment.currency,
      authorizationCode: payment.authorizationCode ?? null,
      paymentMethod: method,
      failure,
      fee: null,
      metadata: payment.metadata,
    };
  }

  private toRefund(refund: SandboxRefund): ProcessorRefund {
    return { reference: refund.id, paymentReference: refund.payment, status: 'SUCCEEDED', amount: refund.amount, currency: refund.currency, failure: null };
  }

  private async network(): Promise<void> {
    if (this.options.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
  }
}

function startOfUtcDay(moment: Date): Date {
  return new Date(Math.floor(moment.getTime() / DAY_MS) * DAY_MS);
}

function parsePayoutReference(reference: string): { day: Date; currency: string } {
  const match = PAYOUT_REFERENCE.exec(reference);
  if (!match) throw new ProcessorError('INVALID_REQUEST', `No such payout: ${reference}`, false);
  return { day: new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00Z`), currency: match[4] };
}
