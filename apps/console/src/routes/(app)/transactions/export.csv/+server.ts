import { redirect } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import { apiBaseUrl, forwardedHeaders, signInUrl } from '$lib/server/api';
import { sessionToken } from '$lib/server/session';
import { csvParametersOf, filterOf, logQueryOf } from '$lib/server/transaction-filter';
import type { RequestHandler } from './$types';

/** The transaction log as CSV: the API's export, with the page's filter and the person's session, streamed through. */
export const GET: RequestHandler = async (event) => {
  const token = sessionToken(event.cookies);
  if (!token) redirect(303, signInUrl(new URL('/transactions', event.url)));
  const filter = filterOf(logQueryOf(event.url), env.CONSOLE_TIME_ZONE || 'UTC');
  const response = await fetch(`${apiBaseUrl()}/reports/transactions.csv?${csvParametersOf(filter)}`, {
    headers: { ...forwardedHeaders(event), authorization: `Bearer ${token}` },
  });
  if (response.status === 401) redirect(303, signInUrl(new URL('/transactions', event.url)));
  if (!response.ok || !response.body) return new Response('The export could not be made. Please try again.', { status: 502 });
  return new Response(response.body, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="transactions.csv"' },
  });
};
