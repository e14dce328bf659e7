import { error } from '@sveltejs/kit';
import { render } from 'svelte/server';
import PayScreen from '$lib/components/PayScreen.svelte';
import { customerOf } from '$lib/server/api';
import { findPaymentLink } from '$lib/server/payment-link';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const { params, locals } = event;
  const link = await findPaymentLink(params.token, customerOf(event));
  // Unknown, malformed or another's token: one plain 404 that says nothing about invoices or merchants.
  if (!link) error(404, 'Not found');
  locals.processor = link.processor;
  const props = { token: params.token, link };
  // Rendered on its own with Svelte's render(), because that is the markup hydrate() takes over in the
  // browser (see src/pay-island.ts); a component rendered inside the page would not be hydratable alone.
  return { link, props, screen: render(PayScreen, { props }).body };
};
