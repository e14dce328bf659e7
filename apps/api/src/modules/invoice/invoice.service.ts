import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { badInput, DomainError, ErrorCode, notFound } from '../../domain/errors.js';
import { type InvoiceAmounts, statusForAmounts } from '../../domain/invoice-amounts.js';
import { assertCurrency, MAX_MINOR_UNITS } from '../../domain/money.js';
import { InvoiceStatus, invoiceStateMachine, PaymentLinkStatus } from '../../domain/statuses.js';
import { isUuid } from '../../domain/tokens.js';
import { sessionOf } from '../../kit/db/sql-session.js';
import { assertCustomerActive, Customer } from '../customer/index.js';
import { queueEmail } from '../email/index.js';
import type { MerchantActor } from '../merchant/index.js';
import { recordEvent } from '../outbox/index.js';
import type { IssuedLink, PaymentLinkService } from '../payment-link/index.js';
import { Invoice, InvoiceLine } from './invoice.entity.js';
import { loadInvoiceAmounts } from './invoice-amounts.sql.js';
import { lockInvoice, lockInvoices } from './invoice-locks.js';

export interface LineInput {
  description: string;
  quantity: number;
  unitAmount: bigint;
}

export interface CreateInvoice {
  customerId: string;
  number: string;
  currency: string;
  dueDate?: string | null;
  lines: LineInput[];
}

export interface UpdateInvoice {
  lines?: LineInput[] | null;
  dueDate?: string | null;
}

export interface InvoiceResult {
  invoice: Invoice;
  /** Set by the operations that create a link: its URL can be shown only now. */
  issuedLinkUrl?: string;
}

/** Lines are validated here, in one place, for create and update alike. Returns the total. */
function validateLines(lines: LineInput[]): bigint {
  if (!lines.length) throw badInput('lines', 'An invoice needs at least one line');
  let total = 0n;
  lines.forEach((line, index) => {
    if (!Number.isInteger(line.quantity) || line.quantity <= 0)
      throw badInput(`lines.${index}.quantity`, 'quantity must be a whole number above zero');
    if (line.unitAmount < 0n) throw badInput(`lines.${index}.unitAmount`, 'unitAmount must not be negative');
    total += BigInt(line.quantity) * line.unitAmount;
  });
  if (total > MAX_MINOR_UNITS)
    throw new DomainError(ErrorCode.AMOUNT_OUT_OF_RANGE, 'The invoice total is larger than we can carry', { field: 'lines' });
  return total;
}

/** Rejects what no paid-or-void invoice may do, with the code a merchant can act on. */
export function assertOpenForChange(invoice: Invoice): void {
  if (invoice.status === InvoiceStatus.VOID) throw new DomainError(ErrorCode.INVOICE_VOID, `Invoice ${invoice.number} is void`);
  if (invoice.status === InvoiceStatus.PAID)
    throw new DomainError(ErrorCode.INVOICE_ALREADY_PAID, `Invoice ${invoice.number} is already paid`);
}

/**
 * Payments that wait for their customer's action (3-D Secure, micro-deposits) on an invoice. They
 * are not in flight, yet could still capture: before an invoice is voided or its lines change, they
 * are canceled at the processor (the payments area does it; the app wires it in).
 */
export interface AwaitingCustomerPayments {
  cancelOnInvoice(invoiceId: string): Promise<void>;
}

export class InvoiceService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly links: PaymentLinkService,
    private readonly awaitingPayments: AwaitingCustomerPayments,
  ) {}

  async find(actor: MerchantActor, id: string): Promise<Invoice | null> {
    if (!isUuid(id)) return null;
    return this.em.findOne(Invoice, { id, merchant: actor.merchantId });
  }

  async create(actor: MerchantActor, input: CreateInvoice): Promise<Invoice> {
    const currency = assertCurrency(input.currency);
    validateLines(input.lines);
    const number = input.number.trim();
    if (!number) throw badInput('number', 'number must not be empty');
    return this.em.transactional(async (tx) => {
      const customer = isUuid(input.customerId) ? await tx.findOne(Customer, { id: input.customerId, merchant: actor.merchantId }) : null;
      if (!customer) throw notFound('customer', 'customerId');
      assertCustomerActive(customer);
      const now = this.clock.now();
      const invoice = tx.create(Invoice, {
        merchant: actor.merchantId,
        customer,
        number,
        currency,
        dueDate: input.dueDate ?? null,
        createdAt: now,
      });
      this.replaceLines(tx, invoice, input.lines);
      recordEvent(
        tx,
        {
          merchantId: actor.merchantId,
          aggregateType: 'invoice',
          aggregateId: invoice.id,
          type: 'invoice.created',
          payload: { number, currency },
        },
        now,
      );
      await this.flushUnique(tx, number);
      return invoice;
    });
  }

  /** Edits lines or due date; the active link follows, since it never stores an amount. */
  async update(actor: MerchantActor, id: string, input: UpdateInvoice): Promise<Invoice> {
    const newTotal = input.lines ? validateLines(input.lines) : undefined;
    if (input.lines && isUuid(id) && (await this.find(actor, id))) await this.awaitingPayments.cancelOnInvoice(id);
    return this.em.transactional(async (tx) => {
      const invoice = await this.lockOwned(tx, actor, id);
      assertOpenForChange(invoice);
      const now = this.clock.now();
      if (input.lines && newTotal !== undefined) {
        if (invoice.status !== InvoiceStatus.DRAFT) {
          const amounts = await this.amounts(tx, invoice);
          const committed = amounts.paid + amounts.credited + amounts.inFlight + amounts.awaitingAction;
          if (newTotal < committed) {
            throw new DomainError(
              ErrorCode.TOTAL_BELOW_PAID,
              `The new total would be below what is already paid, credited or in progress (${committed} minor units)`,
              { field: 'lines', committed: committed.toString() },
            );
          }
        }
        await tx.nativeDelete(InvoiceLine, { invoice });
        this.replaceLines(tx, invoice, input.lines);
      }
      if (input.dueDate !== undefined) invoice.dueDate = input.dueDate;
      invoice.updatedAt = now;
      recordEvent(
        tx,
        {
          merchantId: actor.merchantId,
          aggregateType: 'invoice',
          aggregateId: invoice.id,
          type: 'invoice.updated',
          payload: { linesChanged: Boolean(input.lines), dueDate: invoice.dueDate },
        },
        now,
      );
      await tx.flush();
      if (invoice.status !== InvoiceStatus.DRAFT) await this.refreshStatus(tx, invoice, now);
      return invoice;
    });
  }

  /** DRAFT -> OPEN: creates the payment link and emails the invoice. */
  async send(actor: MerchantActor, id: string): Promise<InvoiceResult> {
    return this.em.transactional(async (tx) => {
      const invoice = await this.lockOwned(tx, actor, id);
      assertOpenForChange(invoice);
      if (invoice.status !== InvoiceStatus.DRAFT) {
        throw new DomainError(
          ErrorCode.INVALID_STATE_TRANSITION,
          `Invoice ${invoice.number} was already sent; use resendInvoice for a new link`,
          { from: invoice.status, to: InvoiceStatus.OPEN },
        );
      }
      const amounts = await this.amounts(tx, invoice);
      if (amounts.total <= 0n) throw badInput('lines', 'An invoice must total more than zero to be sent');
      const now = this.clock.now();
      invoiceStateMachine.assertTransition(invoice.status, InvoiceStatus.OPEN);
      invoice.status = InvoiceStatus.OPEN;
      invoice.sentAt = now;
      recordEvent(
        tx,
        {
          merchantId: actor.merchantId,
          aggregateType: 'invoice',
          aggregateId: invoice.id,
          type: 'invoice.sent',
          payload: { total: amounts.total },
        },
        now,
      );
      const issued = this.links.issue(tx, invoice, now);
      await this.queueInvoiceEmail(tx, invoice, amounts, issued, null, now);
      return { invoice, issuedLinkUrl: issued.url };
    });
  }

  /** After a failed payment: a new link, the previous one SUPERSEDED, the email sent again. */
  async resend(actor: MerchantActor, id: string): Promise<InvoiceResult> {
    return this.em.transactional(async (tx) => {
      const invoice = await this.lockOwned(tx, actor, id);
      return this.regenerateLink(tx, invoice, PaymentLinkStatus.SUPERSEDED);
    });
  }

  /** DRAFT/OPEN -> VOID, only while nothing is paid or in flight (refund first). */
  async void(actor: MerchantActor, id: string): Promise<Invoice> {
    if (isUuid(id) && (await this.find(actor, id))) await this.awaitingPayments.cancelOnInvoice(id);
    return this.em.transactional(async (tx) => {
      const invoice = await this.lockOwned(tx, actor, id);
      if (invoice.status === InvoiceStatus.VOID) throw new DomainError(ErrorCode.INVOICE_VOID, `Invoice ${invoice.number} is already void`);
      const amounts = await this.amounts(tx, invoice);
      // A payment waiting for its customer that appeared since the cancellation above counts as in progress.
      if (amounts.paid > 0n || amounts.inFlight > 0n || amounts.awaitingAction > 0n) {
        throw new DomainError(ErrorCode.INVALID_STATE_TRANSITION, `Invoice ${invoice.number} has payments: refund them before voiding it`, {
          from: invoice.status,
          to: InvoiceStatus.VOID,
        });
      }
      invoiceStateMachine.assertTransition(invoice.status, InvoiceStatus.VOID);
      const now = this.clock.now();
      invoice.status = InvoiceStatus.VOID;
      invoice.voidedAt = now;
      recordEvent(
        tx,
        { merchantId: actor.merchantId, aggregateType: 'invoice', aggregateId: invoice.id, type: 'invoice.voided', payload: {} },
        now,
      );
      return invoice;
    });
  }

  /**
   * The expiry job's step for one invoice whose link expired: retire it and, if the invoice still
   * needs paying, send a new link. Runs under the invoice's row lock like every other change.
   */
  async replaceExpiredLink(invoiceId: string): Promise<InvoiceResult | null> {
    return this.em.transactional(async (tx) => {
      if (!(await lockInvoice(sessionOf(tx), invoiceId))) return null;
      const invoice = await this.lockedEntity(tx, invoiceId);
      const now = this.clock.now();
      const amounts = await this.amounts(tx, invoice);
      const needsPaying = (invoice.status === InvoiceStatus.OPEN || invoice.status === InvoiceStatus.PARTIALLY_PAID) && amounts.due > 0n;
      if (!needsPaying) {
        await this.links.retireActive(tx, invoice, PaymentLinkStatus.EXPIRED, now);
        return null;
      }
      return this.regenerateLink(tx, invoice, PaymentLinkStatus.EXPIRED);
    });
  }

  /** Re-derives a sent invoice's status from its amounts after money moved; records the change. */
  async refreshStatus(tx: EntityManager, invoice: Invoice, now: Date): Promise<InvoiceAmounts> {
    const amounts = await this.amounts(tx, invoice);
    if (invoice.status === InvoiceStatus.DRAFT || invoice.status === InvoiceStatus.VOID) return amounts;
    const next = statusForAmounts(amounts);
    if (next !== invoice.status) {
      invoiceStateMachine.assertTransition(invoice.status, next);
      recordEvent(
        tx,
        {
          merchantId: invoice.merchant.id,
          aggregateType: 'invoice',
          aggregateId: invoice.id,
          type: 'invoice.status_changed',
          payload: { from: invoice.status, to: next, amountDue: amounts.due },
        },
        now,
      );
      invoice.status = next;
    }
    return amounts;
  }

  async amounts(tx: EntityManager, invoice: Invoice): Promise<InvoiceAmounts> {
    await tx.flush();
    return (await loadInvoiceAmounts(tx, [invoice.id])).get(invoice.id)!;
  }

  /** Locks the merchant's invoice row for the rest of the transaction (invoice-locks.ts); unknown or foreign = NOT_FOUND. */
  async lockOwned(tx: EntityManager, actor: MerchantActor, id: string): Promise<Invoice> {
    await lockInvoices(sessionOf(tx), actor.merchantId, [id], 'id');
    return this.lockedEntity(tx, id);
  }

  /**
   * A PAID invoice moved back down (a refund, an ACH return, a lost dispute) and needs paying again:
   * if its link expired meanwhile (the expiry job retired it without a successor, since the invoice
   * was paid), a new link is issued and emailed, so the customer is never left without one.
   */
  async reissueLinkIfExpired(invoiceId: string, options: { evenIfLive?: boolean } = {}): Promise<InvoiceResult | null> {
    return this.em.transactional(async (tx) => {
      if (!(await lockInvoice(sessionOf(tx), invoiceId))) return null;
      const invoice = await this.lockedEntity(tx, invoiceId);
      const amounts = await this.amounts(tx, invoice);
      const needsPaying = (invoice.status === InvoiceStatus.OPEN || invoice.status === InvoiceStatus.PARTIALLY_PAID) && amounts.due > 0n;
      if (!needsPaying) return null;
      const live = await this.links.hasLiveLink(tx, invoice, this.clock.now());
      // A lost dispute asks the customer to pay again: a new link is emailed even when the old one still works.
      if (live && !options.evenIfLive) return null;
      return this.regenerateLink(tx, invoice, live ? PaymentLinkStatus.SUPERSEDED : PaymentLinkStatus.EXPIRED);
    });
  }

  /** The invoice entity, read after its row lock (so, as it is now). */
  private async lockedEntity(tx: EntityManager, id: string): Promise<Invoice> {
    return tx.findOneOrFail(Invoice, { id }, { populate: ['merchant', 'customer'], refresh: true });
  }

  private async regenerateLink(
    tx: EntityManager,
    invoice: Invoice,
    retireAs: PaymentLinkStatus.SUPERSEDED | PaymentLinkStatus.EXPIRED,
  ): Promise<InvoiceResult> {
    assertOpenForChange(invoice);
    if (invoice.status === InvoiceStatus.DRAFT) {
      throw new DomainError(ErrorCode.INVOICE_NOT_SENT, `Invoice ${invoice.number} has not been sent yet: use sendInvoice`);
    }
    const now = this.clock.now();
    await this.links.retireActive(tx, invoice, retireAs, now);
    const amounts = await this.amounts(tx, invoice);
    const issued = this.links.issue(tx, invoice, now);
    await this.queueInvoiceEmail(tx, invoice, amounts, issued, retireAs === PaymentLinkStatus.EXPIRED ? 'expired' : 'resent', now);
    return { invoice, issuedLinkUrl: issued.url };
  }

  private replaceLines(tx: EntityManager, invoice: Invoice, lines: LineInput[]): void {
    lines.forEach((line, position) => {
      tx.create(InvoiceLine, {
        invoice,
        position,
        description: line.description.trim(),
        quantity: line.quantity,
        unitAmount: line.unitAmount,
      });
    });
  }

  private async queueInvoiceEmail(
    tx: EntityManager,
    invoice: Invoice,
    amounts: InvoiceAmounts,
    issued: IssuedLink,
    regenerated: 'expired' | 'resent' | null,
    now: Date,
  ): Promise<void> {
    await tx.populate(invoice, ['merchant', 'customer', 'lines']);
    const data = {
      merchantName: invoice.merchant.name,
      customerName: invoice.customer.name,
      invoiceNumber: invoice.number,
      currency: invoice.currency,
      lines: invoice.lines.getItems().map((line) => ({
        description: line.description,
        quantity: line.quantity,
        unitAmount: line.unitAmount,
        amount: BigInt(line.quantity) * line.unitAmount,
      })),
      total: amounts.total,
      amountPaid: amounts.paid,
      amountCredited: amounts.credited,
      amountDue: amounts.due,
      dueDate: invoice.dueDate ?? null,
      payUrl: issued.url,
    };
    const common = { merchantId: invoice.merchant.id, to: invoice.customer.email, related: { type: 'invoice', id: invoice.id } };
    if (regenerated) await queueEmail(tx, { ...common, template: 'invoice-link-regenerated', data: { ...data, reason: regenerated } }, now);
    else await queueEmail(tx, { ...common, template: 'invoice', data }, now);
  }

  private async flushUnique(tx: EntityManager, number: string): Promise<void> {
    try {
      await tx.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new DomainError(ErrorCode.DUPLICATE, `Invoice number ${number} is already used`, { field: 'number' });
      }
      throw error;
    }
  }
}

export interface InvoicePageQuery {
  first: number;
  after?: { createdAt: Date; id: string };
  status?: InvoiceStatus | null;
  customerId?: string | null;
}

/** Newest first, keyset-paginated on (createdAt, id); one statement per page. */
export async function listInvoices(
  em: EntityManager,
  actor: MerchantActor,
  query: InvoicePageQuery,
): Promise<{ invoices: Invoice[]; hasNextPage: boolean }> {
  if (query.customerId && !isUuid(query.customerId)) return { invoices: [], hasNextPage: false };
  const where: Record<string, unknown> = { merchant: actor.merchantId };
  if (query.status) where.status = query.status;
  if (query.customerId) where.customer = query.customerId;
  if (query.after) {
    where.$or = [{ createdAt: { $lt: query.after.createdAt } }, { createdAt: query.after.createdAt, id: { $lt: query.after.id } }];
  }
  // Customers come in the same statement (joined): every page shows them.
  const rows = await em.find(Invoice, where, {
    orderBy: { createdAt: 'desc', id: 'desc' },
    limit: query.first + 1,
    populate: ['customer'],
    strategy: 'joined',
  });
  return { invoices: rows.slice(0, query.first), hasNextPage: rows.length > query.first };
}
