import {
  AddVaultedCardDocument,
  ConsoleArchiveCustomerDocument,
  ConsoleCustomerDocument,
  ConsoleRestoreCustomerDocument,
  ConsoleUpdateCustomerDocument,
  CustomerVaultedCardsDocument,
  DeleteVaultedCardDocument,
  SendCardSetupLinkDocument,
} from '@kometpay/schema/merchant';
import { error } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import { brandName, today } from '$lib/format';
import { ApiError, merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, required, textFields } from '$lib/server/forms';
import { isElevated } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

/** A customer: their details (edit, archive), invoices, payments and, with a supervisor's approval, saved cards. */
export const load: PageServerLoad = async (event) => {
  event.depends('kometpay:payments');
  const api = merchantApi(event);
  const { customer, transactions } = await api.request(ConsoleCustomerDocument, { id: event.params.id });
  if (!customer) error(404, 'No such customer');
  let cards = null;
  if (isElevated(event.cookies)) {
    try {
      cards =
        (await merchantApi(event, { supervised: true }).request(CustomerVaultedCardsDocument, { customerId: customer.id })).customer
          ?.vaultedCards ?? [];
    } catch (cause) {
      // The approval ended (its cookie is cleared): the prompt shows again.
      if (!(cause instanceof ApiError && cause.code === 'SUPERVISOR_REQUIRED')) throw cause;
    }
  }
  return {
    customer,
    invoices: customer.invoices.edges.map((edge) => edge.node),
    payments: transactions.edges.map((edge) => edge.node),
    cards,
    today: today(env.CONSOLE_TIME_ZONE || 'UTC'),
  };
};

export const actions: Actions = {
  update: async (event) => {
    const values = textFields(await event.request.formData());
    return attempt('update', values, async () => {
      const name = required(values, 'name', 'Enter the customer’s name.');
      const email = required(values, 'email', 'Enter the email address invoices go to.');
      await merchantApi(event).request(ConsoleUpdateCustomerDocument, {
        id: event.params.id,
        input: { name, email, externalRef: values.externalRef || null },
      });
      return { form: 'update', done: 'Customer saved.' };
    });
  },
  archive: async (event) =>
    attempt('archive', {}, async () => {
      await merchantApi(event).request(ConsoleArchiveCustomerDocument, { id: event.params.id });
      return { form: 'archive', done: 'Customer archived: no new invoices can name them.' };
    }),
  restore: async (event) =>
    attempt('archive', {}, async () => {
      await merchantApi(event).request(ConsoleRestoreCustomerDocument, { id: event.params.id });
      return { form: 'archive', done: 'Customer restored.' };
    }),
  sendCardLink: async (event) =>
    attempt('vault', {}, async () => {
      await merchantApi(event, { supervised: true }).request(SendCardSetupLinkDocument, { customerId: event.params.id });
      return { form: 'vault', done: 'A link to add a card was emailed to the customer.' };
    }),
  addCard: async (event) => {
    const values = textFields(await event.request.formData());
    return attempt('addCard', { paymentMethodToken: '' }, async () => {
      const token = values.paymentMethodToken ?? '';
      if (!/^pm_[\w-]{1,200}$/.test(token)) throw new FieldProblem('card', 'Enter the card in the card form (it needs JavaScript).');
      const { addVaultedCard } = await merchantApi(event, { supervised: true }).request(AddVaultedCardDocument, {
        customerId: event.params.id,
        paymentMethodToken: token,
      });
      return { form: 'addCard', done: `${brandName(addVaultedCard.brand)} ending in ${addVaultedCard.last4} saved.` };
    });
  },
  deleteCard: async (event) => {
    const values = textFields(await event.request.formData());
    return attempt('vault', values, async () => {
      await merchantApi(event, { supervised: true }).request(DeleteVaultedCardDocument, { id: values.id ?? '' });
      return { form: 'vault', done: 'Card deleted.' };
    });
  },
};
