import { DomainError } from '../errors.js';
import {
  DisputeStatus,
  disputeStateMachine,
  InvoiceStatus,
  invoiceStateMachine,
  TransactionStatus,
  transactionStateMachine,
} from '../statuses.js';

describe('state machines', () => {
  it('lets an invoice follow its payments and come back down on refunds', () => {
    expect(invoiceStateMachine.canTransition(InvoiceStatus.DRAFT, InvoiceStatus.OPEN)).toBe(true);
    expect(invoiceStateMachine.canTransition(InvoiceStatus.OPEN, InvoiceStatus.PAID)).toBe(true);
    expect(invoiceStateMachine.canTransition(InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID)).toBe(true);
  });

  it('refuses illegal transitions with a coded error', () => {
    expect(() => invoiceStateMachine.assertTransition(InvoiceStatus.PAID, InvoiceStatus.VOID)).toThrow(DomainError);
    expect(() => invoiceStateMachine.assertTransition(InvoiceStatus.VOID, InvoiceStatus.OPEN)).toThrow(/cannot go from VOID to OPEN/);
    try {
      transactionStateMachine.assertTransition(TransactionStatus.FAILED, TransactionStatus.SUCCEEDED);
    } catch (error) {
      expect((error as DomainError).code).toBe('INVALID_STATE_TRANSITION');
    }
  });

  it('keeps terminal transaction states terminal, except SUCCEEDED -> RETURNED', () => {
    for (const terminal of [TransactionStatus.FAILED, TransactionStatus.CANCELED, TransactionStatus.RETURNED]) {
      for (const next of Object.values(TransactionStatus)) {
        if (next !== terminal) expect(transactionStateMachine.canTransition(terminal, next)).toBe(false);
      }
    }
    expect(transactionStateMachine.canTransition(TransactionStatus.SUCCEEDED, TransactionStatus.RETURNED)).toBe(true);
    expect(transactionStateMachine.canTransition(TransactionStatus.SUCCEEDED, TransactionStatus.FAILED)).toBe(false);
  });

  it('moves a dispute only forward: evidence puts it under review, a decision closes it for good', () => {
    expect(disputeStateMachine.canTransition(DisputeStatus.NEEDS_RESPONSE, DisputeStatus.UNDER_REVIEW)).toBe(true);
    expect(disputeStateMachine.canTransition(DisputeStatus.NEEDS_RESPONSE, DisputeStatus.LOST)).toBe(true);
    expect(disputeStateMachine.canTransition(DisputeStatus.UNDER_REVIEW, DisputeStatus.WON)).toBe(true);
    expect(disputeStateMachine.canTransition(DisputeStatus.UNDER_REVIEW, DisputeStatus.NEEDS_RESPONSE)).toBe(false);
    for (const decided of [DisputeStatus.WON, DisputeStatus.LOST]) {
      for (const next of Object.values(DisputeStatus)) expect(disputeStateMachine.canTransition(decided, next)).toBe(false);
    }
  });
});
