import { DomainError, ErrorCode } from '../../domain/errors.js';
import { type InvoiceAmounts, PublicLinkStatus, payableNow } from '../../domain/invoice-amounts.js';
import { InvoiceStatus } from '../../domain/statuses.js';

/**
 * "Can this invoice take money now, and how much?": one answer for every way money comes in (the
 * pay page, manual entry, the terminal, an offline payment). Call it with the invoice locked and its
 * amounts read after the lock (invoice-locks.ts).
 */
export function payableOrRefuse(invoice: { status: InvoiceStatus; number: string }, amounts: InvoiceAmounts): bigint {
  assertTakesPayments(invoice, amounts);
  const payable = payableNow(amounts);
  if (payable === 0n)
    throw new DomainError(ErrorCode.PAYMENT_IN_PROGRESS, `A payment for invoice ${invoice.number} is already being processed`);
  return payable;
}

/** A void, paid or unsent invoice takes no payment, whatever is asked. */
export function assertTakesPayments(invoice: { status: InvoiceStatus; number: string }, amounts: InvoiceAmounts): void {
  if (invoice.status === InvoiceStatus.VOID) throw new DomainError(ErrorCode.INVOICE_VOID, `Invoice ${invoice.number} is void`);
  if (invoice.status === InvoiceStatus.PAID || amounts.due === 0n)
    throw new DomainError(ErrorCode.INVOICE_ALREADY_PAID, `Invoice ${invoice.number} is already paid`);
  if (invoice.status === InvoiceStatus.DRAFT)
    throw new DomainError(ErrorCode.INVOICE_NOT_SENT, `Invoice ${invoice.number} has not been sent yet`);
}

const linkRefusals: Partial<Record<PublicLinkStatus, [ErrorCode, string]>> = {
  VOID: [ErrorCode.INVOICE_VOID, 'This invoice was voided'],
  PAID: [ErrorCode.INVOICE_ALREADY_PAID, 'This invoice is already paid'],
  SUPERSEDED: [ErrorCode.LINK_SUPERSEDED, 'This link was replaced: a newer link was emailed'],
  PROCESSING: [ErrorCode.PAYMENT_IN_PROGRESS, 'A payment for this invoice is already being processed'],
};

/**
 * The pay page's answer: what its link shows decides first (VOID > PAID > SUPERSEDED / EXPIRED >
 * PROCESSING). An expired link says a newer one was emailed only when one was.
 */
export function payableThroughLinkOrRefuse(status: PublicLinkStatus, amounts: InvoiceAmounts, newerLinkSent: boolean): bigint {
  if (status === PublicLinkStatus.EXPIRED) {
    throw new DomainError(
      ErrorCode.LINK_EXPIRED,
      newerLinkSent ? 'This link has expired: a newer link was emailed' : 'This link has expired: ask the merchant for a new one',
    );
  }
  const refusal = linkRefusals[status];
  if (refusal) throw new DomainError(refusal[0], refusal[1]);
  return payableNow(amounts);
}
