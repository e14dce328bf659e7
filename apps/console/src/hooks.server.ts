import type { Handle } from '@sveltejs/kit';
import { requestIdOf } from '$lib/server/api';
import { processorSources, withSources } from '$lib/server/processor';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Responses that are not pages (the live stream, CSV exports, health) load nothing. */
const NOTHING_TO_LOAD = "default-src 'none'; frame-ancestors 'none'";

/**
 * Every request: a request id (forwarded to the API), and a refusal of any state-changing request
 * from another origin. SvelteKit checks the origin of form posts itself (ORIGIN); this covers every
 * other content type too, so that a JSON route added later is safe from the start.
 */
export const handle: Handle = async ({ event, resolve }) => {
  const requestId = requestIdOf(event);
  if (!SAFE_METHODS.has(event.request.method) && event.request.headers.get('origin') !== event.url.origin) {
    return new Response('Cross-site requests are not accepted.', { status: 403, headers: { 'content-type': 'text/plain' } });
  }
  const response = await resolve(event);
  const policy = response.headers.get('content-security-policy');
  response.headers.set('Content-Security-Policy', policy ? withSources(policy, processorSources(event.locals.processor)) : NOTHING_TO_LOAD);
  response.headers.set('X-Request-Id', requestId);
  response.headers.set('Referrer-Policy', 'same-origin');
  response.headers.set('X-Content-Type-Options', 'nosniff');
  response.headers.set('X-Frame-Options', 'DENY');
  response.headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  response.headers.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  if (!response.headers.has('Cache-Control')) response.headers.set('Cache-Control', 'no-store');
  return response;
};
