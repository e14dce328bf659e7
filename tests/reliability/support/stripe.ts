import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { startTestApi, type TestApi } from '../../support/api.js';
import { CONNECT_WEBHOOK_SECRET, stripeModeSettings } from '../../support/stripe/connect.js';
import { type Json, ownerOf, StripeMock, stripeFixture } from '../../support/stripe/stripe-mock-server.js';
import type { ProcessorLedger } from '../invariant.js';

export const WEBHOOK_SECRET = 'whsec_kometpay_reliability';
const signer = new Stripe('sk_test_signer');

/** The API in Stripe mode, the official SDK pointed at the local Stripe-shaped server. */
export async function startStripeModeApi(env: Record<string, string> = {}): Promise<{ t: TestApi; mock: StripeMock }> {
  const mock = await StripeMock.start();
  const t = await startTestApi({
    ...stripeModeSettings(mock.port, WEBHOOK_SECRET),
    ...env,
  });
  return { t, mock };
}

export interface StripeEvent {
  id: string;
  type: string;
  /** The object as it was when Stripe sent the event. */
  object: Json;
  /** The connected account the object lives in (null: the platform's own). */
  account: string | null;
}

export function stripeEvent(type: string, object: Json): StripeEvent {
  return { id: `evt_${randomUUID().replaceAll('-', '')}`, type, object, account: ownerOf(object.id) };
}

/**
 * Delivers one event as Stripe does: signed, on the raw body, at `timestamp` (default now); an
 * event of a connected account to the Connect endpoint, with its `account` and the Connect secret.
 */
export async function deliver(apiUrl: string, event: StripeEvent, options: { secret?: string; timestamp?: number } = {}): Promise<number> {
  const payload = JSON.stringify(
    stripeFixture('event', {
      id: event.id,
      type: event.type,
      account: event.account,
      created: Math.floor(Date.now() / 1000),
      data: { object: event.object },
    }),
  );
  const signature = signer.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? (event.account ? CONNECT_WEBHOOK_SECRET : WEBHOOK_SECRET),
    timestamp: options.timestamp,
  });
  const response = await fetch(`${apiUrl}/webhooks/stripe${event.account ? '/connect' : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
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
        const returned =
          charge.payment_method_details?.type === 'us_bank_account' && (charge.status === 'failed' || Boolean(charge.disputed));
        return { reference: intent.id, amount: BigInt(intent.amount), returned };
      }),
    refunds: mock
      .objectsOf('refund')
      .filter((refund) => refund.status === 'succeeded')
      .map((refund) => ({ reference: refund.id, paymentReference: refund.payment_intent, amount: BigInt(refund.amount) })),
  });
}
