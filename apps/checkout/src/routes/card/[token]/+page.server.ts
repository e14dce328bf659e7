import { error } from '@sveltejs/kit';
import { render } from 'svelte/server';
import CardScreen from '$lib/components/CardScreen.svelte';
import { customerOf } from '$lib/server/api';
import { themeOf } from '$lib/server/branding';
import { findCardSetupLink } from '$lib/server/card-setup-link';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
  const link = await findCardSetupLink(event.params.token, customerOf(event));
  // Unknown or malformed token: the same plain 404 as the pay page's, naming no merchant or customer.
  if (!link) error(404, 'Not found');
  // Only a usable link needs its tokeniser in the page's Content-Security-Policy.
  if (link.status === 'ACTIVE') event.locals.processor = link.processor;
  event.locals.theme = themeOf(link.branding);
  const props = { token: event.params.token, link };
  // Rendered on its own with Svelte's render(), because that is the markup hydrate() takes over in the
  // browser (see src/card-island.ts).
  return { link, props, theme: event.locals.theme, screen: render(CardScreen, { props }).body };
};
