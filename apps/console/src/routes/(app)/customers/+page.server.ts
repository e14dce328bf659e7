import { ConsoleCustomersDocument, CreateCustomerDocument } from '@kometpay/schema/merchant';
import { redirect } from '@sveltejs/kit';
import { merchantApi } from '$lib/server/api';
import { attempt, required, textFields } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 25;

/** Customers: alphabetical, searched in name, email and external reference, keyset-paged. */
export const load: PageServerLoad = async (event) => {
  const search = event.url.searchParams.get('q')?.trim() ?? '';
  const after = event.url.searchParams.get('after') || null;
  const includeArchived = event.url.searchParams.get('archived') === 'on';
  const { customers } = await merchantApi(event).request(ConsoleCustomersDocument, {
    first: PAGE_SIZE,
    after,
    search: search || null,
    includeArchived,
  });
  const nextPage = new URLSearchParams(event.url.searchParams);
  if (customers.pageInfo.endCursor) nextPage.set('after', customers.pageInfo.endCursor);
  return {
    search,
    includeArchived,
    paged: Boolean(after),
    customers: customers.edges.map((edge) => edge.node),
    nextPage: customers.pageInfo.hasNextPage ? `?${nextPage}` : null,
  };
};

export const actions: Actions = {
  create: async (event) => {
    const values = textFields(await event.request.formData());
    const created = await attempt('create', values, async () => {
      const name = required(values, 'name', 'Enter the customer’s name.');
      const email = required(values, 'email', 'Enter the email address invoices go to.');
      const { createCustomer } = await merchantApi(event).request(CreateCustomerDocument, {
        input: { name, email, externalRef: values.externalRef || null },
      });
      return createCustomer.id;
    });
    if (typeof created !== 'string') return created;
    redirect(303, `/customers/${created}`);
  },
};
