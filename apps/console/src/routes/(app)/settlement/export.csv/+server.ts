import { redirect } from '@sveltejs/kit';
import { apiBaseUrl, forwardedHeaders, signInUrl } from '$lib/server/api';
import { sessionToken } from '$lib/server/session';
import type { RequestHandler } from './$types';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The settlement report as CSV: the API's export for the page's days, with the person's session. */
export const GET: RequestHandler = async (event) => {
  const token = sessionToken(event.cookies);
  if (!token) redirect(303, signInUrl(new URL('/settlement', event.url)));
  const from = event.url.searchParams.get('from') ?? '';
  const to = event.url.searchParams.get('to') ?? '';
  if (!DATE.test(from) || !DATE.test(to)) return new Response('Choose the days first.', { status: 400 });
  const response = await fetch(`${apiBaseUrl()}/reports/settlement.csv?${new URLSearchParams({ from, to })}`, {
    headers: { ...forwardedHeaders(event), authorization: `Bearer ${token}` },
  });
  if (response.status === 401) redirect(303, signInUrl(new URL('/settlement', event.url)));
  if (!response.ok || !response.body) return new Response('The export could not be made. Please try again.', { status: 502 });
  return new Response(response.body, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="settlement.csv"' },
  });
};
