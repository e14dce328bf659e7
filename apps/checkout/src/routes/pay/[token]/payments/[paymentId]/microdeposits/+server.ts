import { error, json } from '@sveltejs/kit';
import type { MicrodepositAnswer } from '$lib/payment-link';
import { customerOf } from '$lib/server/api';
import { PAYMENT_ID, verifyMicrodeposits } from '$lib/server/payment-link';
import type { RequestHandler } from './$types';

/** The customer's answer to their bank account's micro-deposits: { amounts: [cents, cents] } or { descriptorCode }. JSON only. */
export const POST: RequestHandler = async (event) => {
  const { params, request } = event;
  if (!request.headers.get('content-type')?.startsWith('application/json')) error(415, 'Send JSON');
  if (!PAYMENT_ID.test(params.paymentId)) error(404, 'Not found');
  const answer = parseAnswer(await request.json().catch(() => null));
  if (!answer) error(400, 'Send { amounts: [cents, cents] } or { descriptorCode }');
  const response = await verifyMicrodeposits(params.token, params.paymentId, answer, customerOf(event));
  if (response.kind === 'refused' && response.code === 'NOT_FOUND') error(404, 'Not found');
  return json(response);
};

function parseAnswer(body: unknown): MicrodepositAnswer | null {
  if (typeof body !== 'object' || body === null) return null;
  const { amounts, descriptorCode } = body as Record<string, unknown>;
  if (Array.isArray(amounts) && amounts.length === 2 && amounts.every((amount) => typeof amount === 'string' && /^\d{1,4}$/.test(amount))) {
    return { amounts };
  }
  if (typeof descriptorCode === 'string' && descriptorCode.length <= 20) return { descriptorCode };
  return null;
}
