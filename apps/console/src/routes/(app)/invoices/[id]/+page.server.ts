import type { PaymentMethodKind } from '@kometpay/schema/merchant';
import {
  ConsoleInvoiceDocument,
  ConsoleResendInvoiceDocument,
  ConsoleVoidInvoiceDocument,
  CreateCreditMemoDocument,
  IssueCreditMemoRefundDocument,
  RecordOfflinePaymentDocument,
  SendInvoiceDocument,
} from '@kometpay/schema/merchant';
import { error } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import { today } from '$lib/format';
import { parseAmount } from '$lib/money';
import { merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, IDEMPOTENCY_KEY, newIdempotencyKey, required, textFields } from '$lib/server/forms';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

const OFFLINE_METHODS: PaymentMethodKind[] = ['CHECK', 'CASH', 'OTHER'];

/** An invoice: its lines and amounts, its payment links, payments, credit memos, and what can be done with it. */
export const load: PageServerLoad = async (event) => {
  event.depends('kometpay:payments');
  const { invoice } = await merchantApi(event).request(ConsoleInvoiceDocument, { id: event.params.id });
  if (!invoice) error(404, 'No such invoice');
  // Money-moving forms carry a key made for this rendering: sending one twice moves money once.
  return { invoice, key: newIdempotencyKey(), today: today(env.CONSOLE_TIME_ZONE || 'UTC') };
};

async function currencyOf(event: RequestEvent): Promise<string> {
  const { invoice } = await merchantApi(event).request(ConsoleInvoiceDocument, { id: event.params.id });
  if (!invoice) error(404, 'No such invoice');
  return invoice.currency;
}

function keyOf(values: Record<string, string>): string {
  const key = values.idempotencyKey ?? '';
  if (!IDEMPOTENCY_KEY.test(key)) throw new FieldProblem('form', 'This form is out of date: reload the page and try again.');
  return key;
}

export const actions: Actions = {
  send: async (event) =>
    attempt('status', {}, async () => {
      const { sendInvoice } = await merchantApi(event).request(SendInvoiceDocument, { id: event.params.id });
      return {
        form: 'status',
        done: 'Invoice sent: the customer was emailed a payment link.',
        linkUrl: sendInvoice.paymentLink?.url ?? null,
      };
    }),
  resend: async (event) =>
    attempt('status', {}, async () => {
      await merchantApi(event).request(ConsoleResendInvoiceDocument, { id: event.params.id });
      return { form: 'status', done: 'Invoice sent again with a new payment link; the previous link no longer takes payments.' };
    }),
  void: async (event) =>
    attempt('status', {}, async () => {
      await merchantApi(event).request(ConsoleVoidInvoiceDocument, { id: event.params.id });
      return { form: 'status', done: 'Invoice voided.' };
    }),
  offline: async (event) => {
    const values = textFields(await event.request.formData());
    const currency = await currencyOf(event);
    return attempt(
      'offline',
      values,
      async () => {
        const text = required(values, 'amount', 'Enter the amount received.');
        const amount = parseAmount(text, currency);
        if (amount === null || amount === '0') throw new FieldProblem('amount', `Enter an amount in ${currency}, like 120.00.`);
        const method = OFFLINE_METHODS.find((value) => value === values.method);
        if (!method) throw new FieldProblem('method', 'Choose check, cash or other.');
        const { recordOfflinePayment } = await merchantApi(event).request(RecordOfflinePaymentDocument, {
          invoiceId: event.params.id,
          amount,
          method,
          reference: values.reference || null,
          idempotencyKey: keyOf(values),
        });
        return { form: 'offline', done: `Payment recorded (${recordOfflinePayment.status.toLowerCase()}).` };
      },
      (field) => ({ amount: 'amount', method: 'method', reference: 'reference' })[field.split('.').pop() ?? ''],
    );
  },
  creditMemo: async (event) => {
    const values = textFields(await event.request.formData());
    const currency = await currencyOf(event);
    return attempt('creditMemo', values, async () => {
      const text = required(values, 'amount', 'Enter the amount to credit.');
      const amount = parseAmount(text, currency);
      if (amount === null || amount === '0') throw new FieldProblem('amount', `Enter an amount in ${currency}, like 25.00.`);
      const reason = required(values, 'reason', 'Say why the customer is credited.');
      await merchantApi(event).request(CreateCreditMemoDocument, { input: { invoiceId: event.params.id, amount, reason } });
      return { form: 'creditMemo', done: 'Credit memo created: the amount due is lower by its amount.' };
    });
  },
  memoRefund: async (event) => {
    const values = textFields(await event.request.formData());
    return attempt('memoRefund', values, async () => {
      const { issueCreditMemoRefund } = await merchantApi(event).request(IssueCreditMemoRefundDocument, {
        creditMemoId: values.creditMemoId ?? '',
        idempotencyKey: keyOf(values),
      });
      const failed = issueCreditMemoRefund.refunds.filter((refund) => refund.status === 'FAILED').length;
      return { form: 'memoRefund', values, done: failed ? 'The refund failed at the processor.' : 'Refund issued for the credit memo.' };
    });
  },
};
