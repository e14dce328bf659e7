import { ConsoleTransactionDocument } from '@kometpay/schema/merchant';
import { error } from '@sveltejs/kit';
import { merchantApi } from '$lib/server/api';
import { newIdempotencyKey } from '$lib/server/forms';
import type { PageServerLoad } from './$types';

/** One transaction: what, how, its settlement and reconciliation, its refunds (refund it from the log or here). */
export const load: PageServerLoad = async (event) => {
  event.depends('kometpay:payments');
  const { transaction } = await merchantApi(event).request(ConsoleTransactionDocument, { id: event.params.id });
  if (!transaction) error(404, 'No such transaction');
  return { transaction, refundKey: newIdempotencyKey() };
};

export { actions } from '../+page.server';
