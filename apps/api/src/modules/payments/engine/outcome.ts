import { type FeeSchedule, feeFor } from '../../../domain/fees.js';
import {
  PaymentChannel,
  PaymentMethodKind,
  SettlementState,
  TransactionKind,
  TransactionStatus,
  transactionStateMachine,
} from '../../../domain/statuses.js';
import type {
  NextAction,
  PaymentMethodDetails,
  ProcessorErrorCode,
  ProcessorPayment,
  ProcessorRefund,
} from '../../../processors/processor.port.js';
import { changeOf, type LedgerTransaction, type TransactionChange } from '../ledger/ledger.js';

/**
 * What the processor says of one of our transactions (a payment or a refund), in the engine's words.
 * Outcomes from the request that made the attempt, from webhooks and from recovery all come as one.
 */
export interface ProcessorReport {
  /** The processor's id for the payment or refund, when it has one. */
  reference: string | null;
  status:
    | TransactionStatus.PENDING
    | TransactionStatus.REQUIRES_ACTION
    | TransactionStatus.PROCESSING
    | TransactionStatus.SUCCEEDED
    | TransactionStatus.FAILED
    | TransactionStatus.CANCELED
    | TransactionStatus.RETURNED;
  /** What the customer must do, while the status is REQUIRES_ACTION. */
  nextAction: NextAction | null;
  authorizationCode: string | null;
  paymentMethod: PaymentMethodDetails | null;
  failure: { code: ProcessorErrorCode | string; message: string } | null;
  fee: bigint | null;
}

export function paymentReport(payment: ProcessorPayment): ProcessorReport {
  return {
    reference: payment.reference || null,
    status: TransactionStatus[payment.status],
    nextAction: payment.status === 'REQUIRES_ACTION' ? payment.nextAction : null,
    authorizationCode: payment.authorizationCode,
    paymentMethod: payment.paymentMethod,
    failure: payment.failure,
    fee: payment.fee,
  };
}

const refundStatuses: Record<ProcessorRefund['status'], ProcessorReport['status']> = {
  SUCCEEDED: TransactionStatus.SUCCEEDED,
  PENDING: TransactionStatus.PROCESSING,
  FAILED: TransactionStatus.FAILED,
  CANCELED: TransactionStatus.CANCELED,
};

export function refundReport(refund: ProcessorRefund): ProcessorReport {
  return {
    reference: refund.reference,
    status: refundStatuses[refund.status],
    nextAction: null,
    authorizationCode: null,
    paymentMethod: null,
    failure: refund.failure,
    fee: null,
  };
}

/**
 * A card charged by staff (a saved card, off session) whose issuer insists on the customer's
 * authentication: staff cannot do it for the customer, the customer can, on the pay page.
 */
export const STAFF_AUTHENTICATION_MESSAGE =
  "The card's issuer asks the customer to authenticate this payment, which staff cannot do: send the customer the invoice's payment link to pay there.";

/**
 * A dispute's money, in the engine's words: withdrawn while the dispute is open (PENDING), gone for
 * good when it is lost (SUCCEEDED), reinstated when it is won (CANCELED).
 */
export function disputeReport(reference: string, status: 'open' | 'won' | 'lost', fee: bigint): ProcessorReport {
  return {
    reference,
    status: status === 'lost' ? TransactionStatus.SUCCEEDED : status === 'won' ? TransactionStatus.CANCELED : TransactionStatus.PENDING,
    nextAction: null,
    authorizationCode: null,
    paymentMethod: null,
    failure: null,
    fee,
  };
}

/** The processor refused the attempt outright (an unusable token, a reader that is gone): nothing was captured. */
export function refusedReport(code: ProcessorErrorCode, message: string): ProcessorReport {
  return {
    reference: null,
    status: TransactionStatus.FAILED,
    nextAction: null,
    authorizationCode: null,
    paymentMethod: null,
    failure: { code, message },
    fee: null,
  };
}

/** Money that moved outside any processor (a check, cash, or the refund of one): the merchant recorded it, so it stands. */
export const offlineReport: ProcessorReport = {
  reference: null,
  status: TransactionStatus.SUCCEEDED,
  nextAction: null,
  authorizationCode: null,
  paymentMethod: null,
  failure: null,
  fee: null,
};

export function methodKind(details: PaymentMethodDetails | null): PaymentMethodKind {
  if (details?.type === 'us_bank_account') return PaymentMethodKind.ACH;
  if (details?.funding === 'debit') return PaymentMethodKind.DEBIT_CARD;
  if (details?.funding === 'prepaid') return PaymentMethodKind.PREPAID_CARD;
  return PaymentMethodKind.CREDIT_CARD;
}

/**
 * The statuses a transaction moves through to match a report: none when the report is stale or
 * changes nothing (webhooks arrive late, twice and out of order). A charge returned after success
 * passed through SUCCEEDED even if we never saw it there (its success was reported late, or not at
 * all), so both steps are taken; a failure reported after success is a return too.
 */
export function statusPath(kind: TransactionKind, current: TransactionStatus, reported: TransactionStatus): TransactionStatus[] {
  if (
    kind === TransactionKind.CHARGE &&
    (reported === TransactionStatus.RETURNED || (reported === TransactionStatus.FAILED && current === TransactionStatus.SUCCEEDED))
  ) {
    if (current === TransactionStatus.SUCCEEDED) return [TransactionStatus.RETURNED];
    return transactionStateMachine.canTransition(current, TransactionStatus.SUCCEEDED)
      ? [TransactionStatus.SUCCEEDED, TransactionStatus.RETURNED]
      : [];
  }
  return reported !== current && transactionStateMachine.canTransition(current, reported) ? [reported] : [];
}

/**
 * The transaction after the report's steps: the fields each step sets (fees once money moves,
 * failures, settlement for ACH and offline refunds, a refund's authorization code).
 */
export function changeFor(
  transaction: LedgerTransaction,
  report: ProcessorReport,
  path: readonly TransactionStatus[],
  context: { fees: FeeSchedule; now: Date; charge: LedgerTransaction | null },
): TransactionChange {
  const change = changeOf(transaction);
  change.processorReference ??= report.reference;
  if (!path.length) return change;
  // What the customer must do is kept while the attempt waits for it (a replay of the request answers it again).
  change.nextAction = path.at(-1) === TransactionStatus.REQUIRES_ACTION ? report.nextAction : null;
  if (report.paymentMethod) {
    change.method = methodKind(report.paymentMethod);
    change.cardBrand = report.paymentMethod.brand ?? change.cardBrand;
    change.cardLast4 = report.paymentMethod.last4 ?? change.cardLast4;
  }
  if (report.authorizationCode) change.authorizationCode = report.authorizationCode;
  // A dispute's fee is the processor's, whatever its status; nothing of the card's changes.
  if (transaction.kind === TransactionKind.DISPUTE) {
    change.status = path.at(-1)!;
    change.fee = report.fee ?? change.fee;
    return change;
  }
  for (const next of path) {
    change.status = next;
    if (transaction.kind === TransactionKind.REFUND) {
      applyRefundStep(change, transaction, next, context);
      continue;
    }
    if (next === TransactionStatus.SUCCEEDED || next === TransactionStatus.PROCESSING) {
      change.fee ??= report.fee ?? feeFor(change.method, transaction.amount, context.fees);
    }
    if (next === TransactionStatus.FAILED || next === TransactionStatus.RETURNED) {
      change.failureCode = report.failure?.code ?? 'PAYMENT_DECLINED';
      change.failureMessage =
        change.failureCode === 'AUTHENTICATION_REQUIRED' && transaction.channel !== PaymentChannel.PAYMENT_LINK
          ? STAFF_AUTHENTICATION_MESSAGE
          : (report.failure?.message ?? 'The payment did not go through.');
      change.settlement = next === TransactionStatus.RETURNED ? SettlementState.RETURNED : SettlementState.FAILED;
    }
    if (
      next === TransactionStatus.SUCCEEDED &&
      (change.method === PaymentMethodKind.ACH || transaction.channel === PaymentChannel.OFFLINE)
    ) {
      // For ACH, success is the settlement itself: the money has arrived. A check or cash is in the merchant's hands.
      change.settlement = SettlementState.SETTLED;
      change.settledAt = context.now;
    }
  }
  return change;
}

function applyRefundStep(
  change: TransactionChange,
  refund: LedgerTransaction,
  next: TransactionStatus,
  context: { now: Date; charge: LedgerTransaction | null },
): void {
  if (next === TransactionStatus.SUCCEEDED) {
    change.authorizationCode = `Refund ${context.charge?.authorizationCode ?? ''}`.trimEnd();
    if (refund.channel === PaymentChannel.OFFLINE) {
      change.settlement = SettlementState.SETTLED;
      change.settledAt = context.now;
    }
  }
  if (next === TransactionStatus.FAILED || next === TransactionStatus.CANCELED) {
    change.settlement = SettlementState.FAILED;
    change.failureCode = 'REFUND_FAILED';
    change.failureMessage = 'The processor could not refund this payment';
  }
}
