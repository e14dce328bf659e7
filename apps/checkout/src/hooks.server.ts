import type { Handle } from '@sveltejs/kit';
import { themeSources } from '$lib/server/branding';
import { processorSources, withSources } from '$lib/server/content-security-policy';

/** Responses that are not pages (JSON routes) load nothing at all. */
const NOTHING_TO_LOAD = "default-src 'none'; frame-ancestors 'none'";

/**
 * Headers on every response. Link tokens live in URLs, so nothing may leak them (no referrer) or
 * keep them (no-store). SvelteKit writes each page's Content-Security-Policy from svelte.config.js;
 * a payment page's load names its processor in `locals`, and its tokeniser's origins are added here.
 */
export const handle: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  const policy = response.headers.get('content-security-policy');
  response.headers.set(
    'Content-Security-Policy',
    policy ? withSources(withSources(policy, processorSources(event.locals.processor)), themeSources(event.locals.theme)) : NOTHING_TO_LOAD,
  );
  response.headers.set('Referrer-Policy', 'no-referrer');
  response.headers.set('X-Content-Type-Options', 'nosniff');
  response.headers.set('X-Frame-Options', 'DENY');
  response.headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  response.headers.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  if (!response.headers.has('Cache-Control')) response.headers.set('Cache-Control', 'no-store');
  return response;
};
