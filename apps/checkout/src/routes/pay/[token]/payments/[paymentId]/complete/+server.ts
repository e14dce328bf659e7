import { error, json } from '@sveltejs/kit';
import { customerOf } from '$lib/server/api';
import { completeLinkPayment, PAYMENT_ID } from '$lib/server/payment-link';
import type { RequestHandler } from './$types';

/** After Stripe.js ran the customer's 3-D Secure: how the payment ended. JSON only, like the payment route. */
export const POST: RequestHandler = async (event) => {
  const { params, request } = event;
  if (!request.headers.get('content-type')?.startsWith('application/json')) error(415, 'Send JSON');
  if (!PAYMENT_ID.test(params.paymentId)) error(404, 'Not found');
  const response = await completeLinkPayment(params.token, params.paymentId, customerOf(event));
  if (response.kind === 'refused' && response.code === 'NOT_FOUND') error(404, 'Not found');
  return json(response);
};
