import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { StripeMock, stripeFixture, type Json } from '../../../apps/api/src/processors/stripe/__tests__/stripe-mock-server.js';
import { startTestApi, type TestApi } from '../../support/api.js';
import type { ProcessorLedger } from '../invariant.js';

export const WEBHOOK_SECRET = 'whsec_kometpay_reliability';
const signer = new Stripe('sk_test_signer');

/** The API in Stripe mode, the official SDK pointed at the local Stripe-shaped server. */
export async function startStripeModeApi(env: Record<string, string> = {}): Promise<{ t: TestApi; mock: StripeMock }> {
  const mock = await StripeMock.start();
  const t = await startTestApi({
    PAYMENT_PROCESSOR: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_kometpay',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_PUBLISHABLE_KEY: 'pk_test_kometpay',
    STRIPE_API_BASE: `http://127.0.0.1:${mock.port}`,
    ...env,
  });
  return { t, mock };
}

export interface StripeEvent {
  id: string;
  type: string;
  /** The object as it was when Stripe sent the event. */
  object: Json;
}

export function stripeEvent(type: string, object: Json): StripeEvent {
  return { id: `evt_${randomUUID().replaceAll('-', '')}`, type, object };
}

/** Delivers one event as Stripe does: signed, on the raw body, at `timestamp` (default now). */
export async function deliver(apiUrl: string, event: StripeEvent, options: { secret?: string; timestamp?: number } = {}): Promise<number> {
  const payload = JSON.stringify(stripeFixture('event', { id: event.id, type: event.type, created: Math.floor(Date.now() / 1000), data: { object: event.object } }));
  const signature = signer.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET, timestamp: options.timestamp });
  const response = await fetch(`${apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Stripe's books, read from the mock: a PaymentIntent that succeeded captured its amount; a bank
 * debit whose charge then failed (or was disputed) was returned. Refunds count once paid out.
 */
export function stripeLedger(mock: StripeMock): () => Promise<ProcessorLedger> {
  return async () => ({
    charges: mock
      .objectsOf('payment_intent')
      .filter((intent) => intent.status === 'succeeded')
      .map((intent) => {
        const charge = mock.object(intent.latest_charge);
        const returned = charge.payment_method_details?.type === 'us_bank_account' && (charge.status === 'failed' || Boolean(charge.disputed));
        return { reference: intent.id, amount: BigInt(intent.amount), returned };
      }),
    refunds: mock
      .objectsOf('refund')
      .filter((refund) => refund.status === 'succeeded')
      .map((refund) => ({ reference: refund.id, paymentReference: refund.payment_intent, amount: BigInt(refund.amount) })),
  });
}
