import type { ConsoleTransactionRowFragment } from '@kometpay/schema/merchant';
import { fail } from '@sveltejs/kit';
import { FieldProblem } from './forms';

/** A payment method token from the processor's tokeniser or Stripe.js; anything else never reaches the API. */
export function tokenFrom(values: Record<string, string>): string {
  const token = values.paymentMethodToken ?? '';
  if (!/^pm_[\w-]{1,200}$/.test(token)) throw new FieldProblem('card', 'Enter the card in the card form (it needs JavaScript).');
  return token;
}

/** What the person is told of a charge the API answered: approved, waiting, or declined (a 400 with the processor's reason). */
export function chargeOutcome(form: string, values: Record<string, string>, transaction: ConsoleTransactionRowFragment) {
  if (transaction.status === 'FAILED' || transaction.status === 'CANCELED') {
    return fail(400, { form, values, errors: {}, message: `Declined: ${transaction.failureMessage ?? 'the card was refused.'}` });
  }
  const code = transaction.authorizationCode ? `, authorization code ${transaction.authorizationCode}` : '';
  const done =
    transaction.status === 'SUCCEEDED'
      ? `Payment of ${transaction.amount.formatted} approved${code}.`
      : `Payment of ${transaction.amount.formatted} is ${transaction.status.toLowerCase()}.`;
  return { form, done, transactionId: transaction.id };
}
