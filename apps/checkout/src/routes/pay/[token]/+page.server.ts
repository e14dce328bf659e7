import { error } from '@sveltejs/kit';
import { render } from 'svelte/server';
import PayScreen from '$lib/components/PayScreen.svelte';
import { customerOf } from '$lib/server/api';
import { themeOf } from '$lib/server/branding';
import { completeLinkPayment, findPaymentLink, PAYMENT_ID } from '$lib/server/payment-link';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const { params, locals, url } = event;
  // Back from the customer's action (the sandbox's 3-D Secure page returns here), or from the
  // micro-deposits email: the payment's outcome, read back from the processor, with the link after it.
  const paymentId = url.searchParams.get('payment');
  const returned = paymentId && PAYMENT_ID.test(paymentId) ? await completeLinkPayment(params.token, paymentId, customerOf(event)) : null;
  const outcome = returned?.kind === 'result' ? returned : null;
  const link = outcome?.link ?? (await findPaymentLink(params.token, customerOf(event)));
  // Unknown, malformed or another's token: one plain 404 that says nothing about invoices or merchants.
  if (!link) error(404, 'Not found');
  locals.processor = link.processor;
  locals.theme = themeOf(link.branding);
  const props = { token: params.token, link, outcome };
  // Rendered on its own with Svelte's render(), because that is the markup hydrate() takes over in the
  // browser (see src/pay-island.ts); a component rendered inside the page would not be hydratable alone.
  return { link, props, theme: locals.theme, screen: render(PayScreen, { props }).body };
};
