import {
  ConsoleChargeInvoicesDocument,
  ConsoleCustomersDocument,
  ConsolePayableInvoicesDocument,
  CustomerVaultedCardsDocument,
} from '@kometpay/schema/merchant';
import { error } from '@sveltejs/kit';
import { parseAmount } from '$lib/money';
import { ApiError, merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, IDEMPOTENCY_KEY, newIdempotencyKey, textFields } from '$lib/server/forms';
import { chargeOutcome, tokenFrom } from '$lib/server/payments';
import { isElevated } from '$lib/server/session';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

async function payable(event: RequestEvent, customerId: string) {
  const found = await merchantApi(event).request(ConsolePayableInvoicesDocument, { customerId });
  if (!found.customer) error(404, 'No such customer');
  const invoices = [...found.open.edges, ...found.partiallyPaid.edges]
    .map((edge) => edge.node)
    .sort((a, b) => (a.dueDate ?? '9').localeCompare(b.dueDate ?? '9'));
  return { customer: found.customer, invoices };
}

/**
 * Pay Invoices: choose a customer, then some of their open invoices and how much of each, and pay
 * them in one payment with a card (the processor's card form) or a saved card.
 */
export const load: PageServerLoad = async (event) => {
  event.depends('kometpay:payments');
  const customerId = event.url.searchParams.get('customer');
  if (!customerId) {
    const search = event.url.searchParams.get('q')?.trim() ?? '';
    const { customers } = await merchantApi(event).request(ConsoleCustomersDocument, { first: 25, search: search || null });
    return { step: 'customer' as const, search, customers: customers.edges.map((edge) => edge.node) };
  }
  const { customer, invoices } = await payable(event, customerId);
  let cards = null;
  if (isElevated(event.cookies)) {
    try {
      cards =
        (await merchantApi(event, { supervised: true }).request(CustomerVaultedCardsDocument, { customerId })).customer?.vaultedCards ?? [];
    } catch (cause) {
      if (!(cause instanceof ApiError && cause.code === 'SUPERVISOR_REQUIRED')) throw cause;
    }
  }
  return {
    step: 'invoices' as const,
    customer,
    invoices,
    cards,
    preselected: event.url.searchParams.getAll('invoice'),
    key: newIdempotencyKey(),
  };
};

export const actions: Actions = {
  pay: async (event) => {
    const data = await event.request.formData();
    const values = textFields(data);
    const selected = data.getAll('invoiceId').map(String);
    const customerId = event.url.searchParams.get('customer') ?? '';
    const { invoices } = await payable(event, customerId);
    for (const invoice of invoices) values[`amount-${invoice.id}`] = String(data.get(`amount-${invoice.id}`) ?? '').trim();
    values.invoices = selected.join(',');
    const result = await attempt(
      'pay',
      values,
      async () => {
        const chosen = invoices.filter((invoice) => selected.includes(invoice.id));
        if (!chosen.length) throw new FieldProblem('invoices', 'Choose at least one invoice to pay.');
        const allocations = chosen.map((invoice) => {
          const amount = parseAmount(values[`amount-${invoice.id}`] ?? '', invoice.currency);
          if (amount === null || amount === '0')
            throw new FieldProblem(`amount-${invoice.id}`, `Enter the amount to pay on ${invoice.number}, like 120.00.`);
          return { invoiceId: invoice.id, amount };
        });
        if (!IDEMPOTENCY_KEY.test(values.idempotencyKey ?? ''))
          throw new FieldProblem('form', 'This form is out of date: reload the page and try again.');
        const source = values.source ?? 'card';
        const method = source.startsWith('vault:')
          ? { vaultedCardId: source.slice('vault:'.length) }
          : { paymentMethodToken: tokenFrom(values) };
        const { chargeInvoices } = await merchantApi(event).request(ConsoleChargeInvoicesDocument, {
          input: { customerId, invoiceIds: chosen.map((invoice) => invoice.id), allocations, ...method },
          idempotencyKey: values.idempotencyKey,
        });
        return chargeInvoices;
      },
      (field) => {
        const allocation = /allocations\.(\d+)\.amount$/.exec(field);
        if (allocation) return `amount-${selected[Number(allocation[1])]}`;
        return field.endsWith('invoiceIds') ? 'invoices' : undefined;
      },
    );
    return 'status' in result && 'kind' in result ? chargeOutcome('pay', values, result) : result;
  },
};
