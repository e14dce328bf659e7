import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode } from '../../../domain/errors.js';
import { payableNow } from '../../../domain/invoice-amounts.js';
import { PaymentChannel, SettlementState, TransactionKind, TransactionStatus } from '../../../domain/statuses.js';
import { type PaymentMethodDetails, type PaymentProcessor, ProcessorError } from '../../../processors/processor.port.js';
import type { ClaimRequest } from '../../idempotency/index.js';
import { assertTakesPayments, type LockedInvoice } from '../../invoice/index.js';
import { methodKind } from '../engine/outcome.js';
import type { Begun, MoneyOutcome } from '../engine/payments-engine.js';
import type { AchMandate, Allocation, ChargeBeginFacts, InvoiceFacts, LedgerTransaction, NewTransaction } from '../ledger/ledger.js';

/** How a charge is paid: a tokenised card or bank account (possibly a saved one), or a card on a reader. */
export type Instrument =
  | { kind: 'token'; paymentMethod: PaymentMethodDetails; customerReference: string | null }
  | { kind: 'reader'; readerReference: string };

/** What a charge is, before the invoices' amounts decide how much it takes from each. */
export interface ChargeDraft {
  merchantId: string;
  channel: PaymentChannel;
  instrument: Instrument;
  description: string | null;
  requiresManualReconciliation: boolean;
  /** ACH only: how the customer authorised the debit. */
  mandate: AchMandate | null;
  /** Unique per merchant: a retry of the request finds the attempt again. */
  transactionKey: string;
}

export interface ChargePlan {
  customerId: string | null;
  currency: string;
  amount: bigint;
  allocations: Allocation[];
}

export const MAX_INVOICES_PER_PAYMENT = 100;

export function newCharge(draft: ChargeDraft, plan: ChargePlan): NewTransaction {
  if (plan.amount <= 0n) throw new DomainError(ErrorCode.PAYMENT_IN_PROGRESS, 'Nothing is payable now: a payment is already in progress');
  const details = draft.instrument.kind === 'token' ? draft.instrument.paymentMethod : null;
  return {
    id: randomUUID(),
    merchantId: draft.merchantId,
    customerId: plan.customerId,
    kind: TransactionKind.CHARGE,
    status: TransactionStatus.PENDING,
    channel: draft.channel,
    method: methodKind(details),
    amount: plan.amount,
    currency: plan.currency,
    transactionKey: draft.transactionKey,
    requiresManualReconciliation: draft.requiresManualReconciliation,
    settlement: SettlementState.PENDING,
    paymentMethodReference: details?.reference ?? null,
    processorCustomerReference: draft.instrument.kind === 'token' ? draft.instrument.customerReference : null,
    terminalReader: draft.instrument.kind === 'reader' ? draft.instrument.readerReference : null,
    achMandate: details?.type === 'us_bank_account' ? draft.mandate : null,
    cardBrand: details?.brand ?? null,
    cardLast4: details?.last4 ?? null,
    description: draft.description,
    allocations: plan.allocations,
  };
}

/** Phase 1's findings for a charge, handed to the engine: the key, an earlier try's attempt, and the decision to come. */
export function chargeBegun(claim: ClaimRequest, facts: ChargeBeginFacts, plan: () => NewTransaction): Begun {
  return {
    claim: { request: claim, row: facts.claim },
    existing: facts.existing ? [facts.existing] : [],
    awaitingAction: facts.awaitingAction,
    plan: () => ({ transactions: [plan()] }),
  };
}

/** A charge request's answer: the transaction as it ended (or, for a replayed key, as it is now). */
export async function chargeAnswer(outcome: MoneyOutcome, read: (id: string) => Promise<LedgerTransaction>): Promise<LedgerTransaction> {
  return outcome.kind === 'completed' ? outcome.transactions[0] : read(outcome.result);
}

/** Facts about a token before we charge it (funding decides CREDIT vs DEBIT); nothing is recorded for a token the processor refuses. */
export async function describePaymentMethod(
  processor: PaymentProcessor,
  token: string,
  field = 'paymentMethodToken',
): Promise<PaymentMethodDetails> {
  try {
    return await processor.describePaymentMethod(token);
  } catch (error) {
    if (error instanceof ProcessorError && !error.retryable) {
      throw new DomainError(
        ErrorCode.INVALID_PAYMENT_METHOD,
        'The payment method token is not one the processor issued, or can no longer be used',
        { field },
      );
    }
    throw new DomainError(
      ErrorCode.PROCESSOR_UNAVAILABLE,
      'The payment processor did not answer; nothing was charged. Please retry.',
      {},
      true,
    );
  }
}

/**
 * Splits a payment over locked invoices: explicit amounts, or oldest first (each in full, or up to
 * `cap`). Each invoice must take payments (invoice-eligibility.ts), in one currency.
 */
export function allocate(
  invoices: readonly LockedInvoice[],
  facts: ReadonlyMap<string, InvoiceFacts>,
  explicit: readonly { invoiceId: string; amount: bigint }[] | null,
  cap: bigint | null,
): Omit<ChargePlan, 'customerId'> {
  const currency = invoices[0].currency;
  const oldestFirst = [...invoices].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  const allocations: Allocation[] = [];
  let remaining = cap;
  for (const invoice of oldestFirst) {
    const { amounts } = facts.get(invoice.id)!;
    assertTakesPayments(invoice, amounts);
    if (invoice.currency !== currency)
      throw new DomainError(ErrorCode.CURRENCY_MISMATCH, 'All invoices of one payment must share a currency', { field: 'invoiceIds' });
    const payable = payableNow(amounts);
    const wanted =
      explicit?.find((a) => a.invoiceId === invoice.id)?.amount ?? (remaining !== null && remaining < payable ? remaining : payable);
    if (wanted > payable) {
      throw new DomainError(ErrorCode.AMOUNT_EXCEEDS_DUE, `The payment exceeds what is payable on invoice ${invoice.number}`, {
        field: 'allocations',
        invoiceId: invoice.id,
        payable: payable.toString(),
      });
    }
    if (payable === 0n)
      throw new DomainError(ErrorCode.PAYMENT_IN_PROGRESS, `A payment for invoice ${invoice.number} is already being processed`);
    if (wanted > 0n) allocations.push({ invoiceId: invoice.id, amount: wanted });
    if (remaining !== null) remaining -= wanted;
  }
  if (remaining !== null && remaining > 0n)
    throw new DomainError(ErrorCode.AMOUNT_EXCEEDS_DUE, 'The amount exceeds what the invoices have due', { field: 'amount' });
  return { currency, amount: allocations.reduce((sum, a) => sum + a.amount, 0n), allocations };
}
