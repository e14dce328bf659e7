import { error, json } from '@sveltejs/kit';
import { customerOf } from '$lib/server/api';
import { saveCardWithLink } from '$lib/server/card-setup-link';
import type { RequestHandler } from './$types';

/**
 * Saves the card behind a token the browser got from the tokeniser (never the card itself). JSON
 * only: a cross-site form cannot send it without a CORS preflight, which this route never grants.
 */
export const POST: RequestHandler = async (event) => {
  const { params, request } = event;
  if (!request.headers.get('content-type')?.startsWith('application/json')) error(415, 'Send JSON');
  const body: unknown = await request.json().catch(() => null);
  const paymentMethodToken = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).paymentMethodToken : undefined;
  if (typeof paymentMethodToken !== 'string' || !/^pm_[\w-]{1,200}$/.test(paymentMethodToken)) error(400, 'Send { paymentMethodToken }');
  const response = await saveCardWithLink(params.token, paymentMethodToken, customerOf(event));
  if (response.kind === 'refused' && response.code === 'NOT_FOUND') error(404, 'Not found');
  return json(response);
};
