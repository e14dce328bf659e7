import { isKnownCurrency } from '@kometpay/money';
import {
  ConsoleCollectTerminalPaymentDocument,
  ConsoleInvoiceDocument,
  ConsoleTerminalReadersDocument,
  ConsoleTransactionDocument,
  RegisterTerminalReaderDocument,
} from '@kometpay/schema/merchant';
import { redirect } from '@sveltejs/kit';
import { parseAmount } from '$lib/money';
import { merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, IDEMPOTENCY_KEY, newIdempotencyKey, required, textFields } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

/**
 * The terminal: a card-present payment on a registered reader, for an invoice (its amount due) or for
 * an amount. The payment waits for the card on the reader; the page follows it live (`?transaction=`).
 */
export const load: PageServerLoad = async (event) => {
  event.depends('kometpay:payments');
  const api = merchantApi(event);
  const invoiceId = event.url.searchParams.get('invoice');
  const transactionId = event.url.searchParams.get('transaction');
  const [{ terminalReaders }, invoice, transaction] = await Promise.all([
    api.request(ConsoleTerminalReadersDocument),
    invoiceId ? api.request(ConsoleInvoiceDocument, { id: invoiceId }).then((answer) => answer.invoice) : null,
    transactionId ? api.request(ConsoleTransactionDocument, { id: transactionId }).then((answer) => answer.transaction) : null,
  ]);
  return { readers: terminalReaders, invoice, transaction, key: newIdempotencyKey() };
};

export const actions: Actions = {
  collect: async (event) => {
    const values = textFields(await event.request.formData());
    const result = await attempt('collect', values, async () => {
      const readerId = required(values, 'readerId', 'Choose a reader.');
      if (!IDEMPOTENCY_KEY.test(values.idempotencyKey ?? ''))
        throw new FieldProblem('form', 'This form is out of date: reload the page and try again.');
      const invoiceIds = values.invoiceId ? [values.invoiceId] : null;
      let amount: string | null = null;
      const currency = (values.currency || 'USD').toUpperCase();
      if (!invoiceIds || values.amount) {
        if (!isKnownCurrency(currency)) throw new FieldProblem('currency', 'Choose a currency.');
        amount = parseAmount(required(values, 'amount', 'Enter the amount to charge.'), currency);
        if (amount === null || amount === '0') throw new FieldProblem('amount', `Enter an amount in ${currency}, like 42.00.`);
      }
      const { collectTerminalPayment } = await merchantApi(event).request(ConsoleCollectTerminalPaymentDocument, {
        readerId,
        invoiceIds,
        amount,
        currency: invoiceIds ? null : currency,
        idempotencyKey: values.idempotencyKey,
      });
      return collectTerminalPayment.id;
    });
    if (typeof result !== 'string') return result;
    redirect(303, `/payments/terminal?transaction=${result}`);
  },
  register: async (event) => {
    const values = textFields(await event.request.formData());
    return attempt('register', values, async () => {
      const label = required(values, 'label', 'Name the reader, e.g. “Front counter”.');
      const registrationCode = required(values, 'registrationCode', 'Enter the code the reader shows.');
      const { registerTerminalReader } = await merchantApi(event).request(RegisterTerminalReaderDocument, {
        input: { label, registrationCode },
      });
      return { form: 'register', done: `Reader “${registerTerminalReader.label}” registered.` };
    });
  },
};
