import { isKnownCurrency } from '@kometpay/money';
import { ConsoleCustomersDocument, ConsoleVirtualTerminalChargeDocument } from '@kometpay/schema/merchant';
import { parseAmount } from '$lib/money';
import { merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, IDEMPOTENCY_KEY, newIdempotencyKey, required, textFields } from '$lib/server/forms';
import { chargeOutcome, tokenFrom } from '$lib/server/payments';
import type { Actions, PageServerLoad } from './$types';

/** The virtual terminal: a card payment tied to no invoice, flagged for manual reconciliation. */
export const load: PageServerLoad = async (event) => {
  const { customers } = await merchantApi(event).request(ConsoleCustomersDocument, { first: 100 });
  return { customers: customers.edges.map((edge) => edge.node), key: newIdempotencyKey() };
};

export const actions: Actions = {
  charge: async (event) => {
    const values = textFields(await event.request.formData());
    const result = await attempt('charge', values, async () => {
      const currency = (values.currency || 'USD').toUpperCase();
      if (!isKnownCurrency(currency)) throw new FieldProblem('currency', 'Choose a currency.');
      const amount = parseAmount(required(values, 'amount', 'Enter the amount to charge.'), currency);
      if (amount === null || amount === '0') throw new FieldProblem('amount', `Enter an amount in ${currency}, like 42.00.`);
      const description = required(values, 'description', 'Say what the payment is for.');
      if (!IDEMPOTENCY_KEY.test(values.idempotencyKey ?? ''))
        throw new FieldProblem('form', 'This form is out of date: reload the page and try again.');
      const { virtualTerminalCharge } = await merchantApi(event).request(ConsoleVirtualTerminalChargeDocument, {
        input: { amount, currency, description, customerId: values.customerId || null, paymentMethodToken: tokenFrom(values) },
        idempotencyKey: values.idempotencyKey,
      });
      return virtualTerminalCharge;
    });
    if (!('kind' in result)) return result;
    const outcome = chargeOutcome('charge', values, result);
    return 'done' in outcome
      ? { ...outcome, done: `${outcome.done} It is flagged for manual reconciliation in the transaction log.` }
      : outcome;
  },
};
