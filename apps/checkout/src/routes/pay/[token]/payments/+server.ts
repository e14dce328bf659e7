import { error, json } from '@sveltejs/kit';
import type { PaymentAttempt } from '$lib/payment-link';
import { customerOf } from '$lib/server/api';
import { payWithLink } from '$lib/server/payment-link';
import type { RequestHandler } from './$types';

/**
 * Pays the link with a token the browser got from the tokeniser. JSON only: a cross-site form
 * cannot send it without a CORS preflight, which this route never grants.
 */
export const POST: RequestHandler = async (event) => {
  const { params, request } = event;
  if (!request.headers.get('content-type')?.startsWith('application/json')) error(415, 'Send JSON');
  const attempt = parseAttempt(await request.json().catch(() => null));
  if (!attempt) error(400, 'Send { paymentMethodToken, idempotencyKey }');
  const response = await payWithLink(params.token, attempt, customerOf(event));
  if (response.kind === 'refused' && response.code === 'NOT_FOUND') error(404, 'Not found');
  return json(response);
};

function parseAttempt(body: unknown): PaymentAttempt | null {
  if (typeof body !== 'object' || body === null) return null;
  const { paymentMethodToken, idempotencyKey } = body as Record<string, unknown>;
  if (typeof paymentMethodToken !== 'string' || !/^pm_[\w-]{1,200}$/.test(paymentMethodToken)) return null;
  if (typeof idempotencyKey !== 'string' || !/^[\x21-\x7e]{8,255}$/.test(idempotencyKey)) return null;
  return { paymentMethodToken, idempotencyKey };
}
