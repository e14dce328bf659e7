import { isKnownCurrency } from '@kometpay/money';
import { ConsoleCustomersDocument, CreateInvoiceDocument } from '@kometpay/schema/merchant';
import { fail, redirect } from '@sveltejs/kit';
import { merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, required, textFields } from '$lib/server/forms';
import { invoiceFieldOf, parseLines } from '$lib/server/invoice-lines';
import type { Actions, PageServerLoad } from './$types';

/** The customers to choose from (active ones, alphabetical). */
export const load: PageServerLoad = async (event) => {
  const { customers } = await merchantApi(event).request(ConsoleCustomersDocument, { first: 100 });
  return { customers: customers.edges.map((edge) => edge.node), customerId: event.url.searchParams.get('customer') ?? '' };
};

async function read(request: Request, extraRows = 0) {
  const data = await request.formData();
  const values = textFields(data);
  const currency = (values.currency || 'USD').toUpperCase();
  const parsed = parseLines(data, isKnownCurrency(currency) ? currency : 'USD', extraRows);
  const all: Record<string, string> = { ...values, ...parsed.values, currency };
  return { values: all, currency, parsed };
}

export const actions: Actions = {
  /** One more empty line, nothing saved (the form without JavaScript). */
  addLine: async ({ request }) => {
    const { values } = await read(request, 1);
    return fail(400, { form: 'invoice', values, errors: {} });
  },
  create: async (event) => {
    const { values, currency, parsed } = await read(event.request);
    const created = await attempt(
      'invoice',
      values,
      async () => {
        const customerId = required(values, 'customerId', 'Choose the customer.');
        const number = required(values, 'number', 'Enter the invoice number.');
        if (!isKnownCurrency(currency)) throw new FieldProblem('currency', 'Choose a currency.');
        if (values.dueDate && !/^\d{4}-\d{2}-\d{2}$/.test(values.dueDate)) throw new FieldProblem('dueDate', 'Enter a date.');
        const [field, message] = Object.entries(parsed.errors)[0] ?? [];
        if (field) throw new FieldProblem(field, message);
        const { createInvoice } = await merchantApi(event).request(CreateInvoiceDocument, {
          input: { customerId, number, currency, dueDate: values.dueDate || null, lines: parsed.lines },
        });
        return createInvoice.id;
      },
      invoiceFieldOf,
    );
    if (typeof created !== 'string') {
      // Every line's problem at once, not only the first.
      return created.data.errors && Object.keys(parsed.errors).length
        ? fail(400, { ...created.data, errors: { ...parsed.errors, ...created.data.errors } })
        : created;
    }
    redirect(303, `/invoices/${created}`);
  },
};
