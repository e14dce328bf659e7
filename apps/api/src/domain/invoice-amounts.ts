import { InvoiceStatus, PaymentLinkStatus } from './statuses.js';

/**
 * An invoice's amounts, derived (never stored) from its lines, its allocated transactions and its
 * credit memos (DESIGN.md 1b): this type and invoiceAmountsSql are the one place they come from.
 */
export interface InvoiceAmounts {
  total: bigint;
  /** Succeeded charges allocated to the invoice minus succeeded refunds of them. */
  paid: bigint;
  credited: bigint;
  /** Charges allocated to the invoice that the processor has not settled yet (ACH processing, card in flight). */
  inFlight: bigint;
  /**
   * Charges waiting for their customer's action (3-D Secure, micro-deposits): not in flight (the link
   * stays payable, and a new attempt cancels them first), but they could still capture.
   */
  awaitingAction: bigint;
  /** total - paid - credited, never below zero. */
  due: bigint;
}

export function deriveAmounts(raw: {
  total: bigint;
  paid: bigint;
  credited: bigint;
  inFlight: bigint;
  awaitingAction: bigint;
}): InvoiceAmounts {
  const due = raw.total - raw.paid - raw.credited;
  return { ...raw, due: due > 0n ? due : 0n };
}

/** What may still be paid now: the amount due less what is already on its way. */
export function payableNow(amounts: InvoiceAmounts): bigint {
  const payable = amounts.due - amounts.inFlight;
  return payable > 0n ? payable : 0n;
}

/** The status a sent invoice has for its amounts (OPEN -> PARTIALLY_PAID -> PAID, and back down). */
export function statusForAmounts(amounts: InvoiceAmounts): InvoiceStatus.OPEN | InvoiceStatus.PARTIALLY_PAID | InvoiceStatus.PAID {
  if (amounts.due === 0n) return InvoiceStatus.PAID;
  return amounts.paid > 0n ? InvoiceStatus.PARTIALLY_PAID : InvoiceStatus.OPEN;
}

export enum PublicLinkStatus {
  PAYABLE = 'PAYABLE',
  PROCESSING = 'PROCESSING',
  PAID = 'PAID',
  EXPIRED = 'EXPIRED',
  SUPERSEDED = 'SUPERSEDED',
  VOID = 'VOID',
}

export interface LinkFacts {
  invoiceStatus: InvoiceStatus;
  storedStatus: PaymentLinkStatus;
  expiresAt: Date;
  amounts: InvoiceAmounts;
  now: Date;
}

function isExpired(facts: LinkFacts): boolean {
  return (
    facts.storedStatus === PaymentLinkStatus.EXPIRED || (facts.storedStatus === PaymentLinkStatus.ACTIVE && facts.expiresAt <= facts.now)
  );
}

/** What the customer's page shows: VOID > PAID > SUPERSEDED / EXPIRED > PROCESSING > PAYABLE. */
export function publicLinkStatus(facts: LinkFacts): PublicLinkStatus {
  if (facts.invoiceStatus === InvoiceStatus.VOID) return PublicLinkStatus.VOID;
  if (facts.amounts.due === 0n) return PublicLinkStatus.PAID;
  if (facts.storedStatus === PaymentLinkStatus.SUPERSEDED) return PublicLinkStatus.SUPERSEDED;
  if (isExpired(facts)) return PublicLinkStatus.EXPIRED;
  if (facts.amounts.inFlight > 0n) return PublicLinkStatus.PROCESSING;
  return PublicLinkStatus.PAYABLE;
}

/** What the merchant sees for one of an invoice's links: its own fate first, then the invoice's. */
export function merchantLinkStatus(facts: LinkFacts): PaymentLinkStatus {
  if (facts.invoiceStatus === InvoiceStatus.VOID) return PaymentLinkStatus.VOID;
  if (facts.storedStatus === PaymentLinkStatus.SUPERSEDED) return PaymentLinkStatus.SUPERSEDED;
  if (isExpired(facts)) return PaymentLinkStatus.EXPIRED;
  if (facts.amounts.due === 0n) return PaymentLinkStatus.PAID;
  return PaymentLinkStatus.ACTIVE;
}
