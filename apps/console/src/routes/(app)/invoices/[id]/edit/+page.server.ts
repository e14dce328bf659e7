import { ConsoleInvoiceDocument, ConsoleUpdateInvoiceDocument } from '@kometpay/schema/merchant';
import { error, fail, redirect } from '@sveltejs/kit';
import { amountForInput } from '$lib/money';
import { merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, textFields } from '$lib/server/forms';
import { invoiceFieldOf, lineField, parseLines } from '$lib/server/invoice-lines';
import type { Actions, PageServerLoad } from './$types';

/** Editing an invoice: its lines (all replaced) and due date. A sent invoice's link follows the new amount. */
export const load: PageServerLoad = async (event) => {
  const { invoice } = await merchantApi(event).request(ConsoleInvoiceDocument, { id: event.params.id });
  if (!invoice) error(404, 'No such invoice');
  const values: Record<string, string> = { dueDate: invoice.dueDate ?? '', lineCount: String(invoice.lines.length + 1) };
  invoice.lines.forEach((line, index) => {
    values[lineField(index, 'description')] = line.description;
    values[lineField(index, 'quantity')] = String(line.quantity);
    values[lineField(index, 'unitPrice')] = amountForInput(line.unitAmount, invoice.currency);
  });
  return { invoice, values };
};

async function read(request: Request, currency: string, extraRows = 0) {
  const data = await request.formData();
  const parsed = parseLines(data, currency, extraRows);
  return { values: { ...textFields(data), ...parsed.values }, parsed };
}

export const actions: Actions = {
  addLine: async (event) => {
    const { values } = await read(event.request, String(event.url.searchParams.get('currency') ?? 'USD'), 1);
    return fail(400, { form: 'invoice', values, errors: {} });
  },
  save: async (event) => {
    const api = merchantApi(event);
    const { invoice } = await api.request(ConsoleInvoiceDocument, { id: event.params.id });
    if (!invoice) error(404, 'No such invoice');
    const { values, parsed } = await read(event.request, invoice.currency);
    const saved = await attempt(
      'invoice',
      values,
      async () => {
        if (values.dueDate && !/^\d{4}-\d{2}-\d{2}$/.test(values.dueDate)) throw new FieldProblem('dueDate', 'Enter a date.');
        const [field, message] = Object.entries(parsed.errors)[0] ?? [];
        if (field) throw new FieldProblem(field, message);
        await api.request(ConsoleUpdateInvoiceDocument, {
          id: invoice.id,
          input: { lines: parsed.lines, dueDate: values.dueDate || null },
        });
        return true as const;
      },
      invoiceFieldOf,
    );
    if (typeof saved !== 'boolean')
      return Object.keys(parsed.errors).length ? fail(400, { ...saved.data, errors: { ...parsed.errors, ...saved.data.errors } }) : saved;
    redirect(303, `/invoices/${invoice.id}`);
  },
};
