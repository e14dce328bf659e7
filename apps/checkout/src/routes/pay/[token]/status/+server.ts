import { error, json } from '@sveltejs/kit';
import { customerOf } from '$lib/server/api';
import { findPaymentLink } from '$lib/server/payment-link';
import type { RequestHandler } from './$types';

/** The link as it is now: the processing screen polls this until a bank payment settles. */
export const GET: RequestHandler = async (event) => {
  const link = await findPaymentLink(event.params.token, customerOf(event));
  if (!link) error(404, 'Not found');
  return json(link);
};
