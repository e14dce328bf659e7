import { badInput, DomainError, ErrorCode } from '../../../domain/errors.js';
import { TransactionStatus } from '../../../domain/statuses.js';
import { hashToken, isUuid } from '../../../domain/tokens.js';
import { sessionOf } from '../../../kit/db/sql-session.js';
import type { MicrodepositAnswer } from '../../../processors/processor.port.js';
import { type LedgerTransaction, readLinkAttempt } from '../ledger/ledger.js';
import type { FlowDeps } from './flow-deps.js';

export interface MicrodepositInput {
  /** The two deposits, in minor units (each 1 to 99 cents). */
  amounts?: readonly bigint[] | null;
  /** The 6-character code, starting with SM, in the description of the one deposit. */
  descriptorCode?: string | null;
}

const DESCRIPTOR_CODE = /^SM[A-Z0-9]{4}$/;

/** Exactly one of the two answers, in the shape the processor takes; anything else is refused before asking it. */
function answerOf(input: MicrodepositInput): MicrodepositAnswer {
  const { amounts, descriptorCode } = input;
  if ((amounts == null) === (descriptorCode == null)) {
    throw badInput('amounts', 'Give either the two deposit amounts or the descriptor code, not both');
  }
  if (amounts) {
    if (amounts.length !== 2 || amounts.some((amount) => amount < 1n || amount > 99n)) {
      throw badInput('amounts', 'Give the two deposits, each between 1 and 99 cents');
    }
    return { amounts: [amounts[0], amounts[1]] };
  }
  const code = descriptorCode!.trim().toUpperCase();
  if (!DESCRIPTOR_CODE.test(code)) throw badInput('descriptorCode', 'The code has 6 characters and starts with SM');
  return { descriptorCode: code };
}

/**
 * The pay page, once the customer found the micro-deposits on their statement: the answer is checked
 * at the processor and the outcome recorded through the engine (PROCESSING when verified: the debit
 * goes on; FAILED after too many wrong answers: the link is payable again). A wrong answer that
 * leaves the payment waiting answers MICRODEPOSITS_MISMATCH with the attempts left. Only an attempt
 * made through this link can be verified through it.
 */
export async function verifyMicrodeposits(
  deps: FlowDeps,
  token: string,
  paymentId: string,
  input: MicrodepositInput,
): Promise<LedgerTransaction> {
  const answer = answerOf(input);
  const found = await readLinkAttempt(
    sessionOf(deps.em),
    hashToken(token),
    isUuid(paymentId) ? paymentId : '00000000-0000-0000-0000-000000000000',
  );
  if (!found) throw new DomainError(ErrorCode.NOT_FOUND, 'This payment link does not exist');
  if (!found.attempt) throw badInput('paymentId', 'No payment with that id was made through this link');
  const attempt = found.attempt;
  // Answered already (a second submit, a webhook first), or not a bank account waiting for micro-deposits: how it is now.
  if (attempt.status !== TransactionStatus.REQUIRES_ACTION || attempt.nextAction?.type !== 'VERIFY_MICRODEPOSITS') {
    return deps.engine.completeAction(attempt);
  }
  const expected = attempt.nextAction.microdepositType;
  if (expected && 'amounts' in answer !== (expected === 'AMOUNTS')) {
    throw expected === 'AMOUNTS'
      ? badInput('amounts', 'This bank account was sent two deposits: give their amounts')
      : badInput('descriptorCode', 'This bank account was sent one deposit with a code: give the code');
  }
  const { transaction, mismatch } = await deps.engine.verifyMicrodeposits(attempt, answer);
  if (mismatch && transaction.status === TransactionStatus.REQUIRES_ACTION) {
    const left = mismatch.attemptsRemaining;
    const what = 'amounts' in answer ? 'These amounts do not match the deposits' : 'This code does not match the deposit';
    throw new DomainError(
      ErrorCode.MICRODEPOSITS_MISMATCH,
      left === null ? `${what}.` : `${what}. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.`,
      { attemptsLeft: left },
    );
  }
  return transaction;
}
