import { randomUUID } from 'node:crypto';
import { ElevateSupervisorDocument, StartProcessorOnboardingDocument } from '@kometpay/schema/merchant';
import Stripe from 'stripe';
import type { Orm } from '../../../apps/api/src/app/test-kit.js';
import type { TestMerchant } from '../api.js';
import { type Json, stripeFixture } from './stripe-mock-server.js';

/** The signing secret of the test API's Connect webhook endpoint (events of connected accounts). */
export const CONNECT_WEBHOOK_SECRET = 'whsec_kometpay_connect';
const signer = new Stripe('sk_test_signer');

export interface ConnectEvent {
  id?: string;
  type: string;
  object: Json;
  /** The connected account the event is about. */
  account: string;
}

/** Delivers an event of a connected account as Stripe does, signed with the Connect endpoint's secret, to /webhooks/stripe/connect. */
export async function deliverConnectEvent(
  apiUrl: string,
  event: ConnectEvent,
  options: { secret?: string; timestamp?: number } = {},
): Promise<{ status: number; body: Json }> {
  const payload = JSON.stringify(
    stripeFixture('event', {
      id: event.id ?? `evt_${randomUUID().replaceAll('-', '')}`,
      type: event.type,
      account: event.account,
      created: Math.floor(Date.now() / 1000),
      data: { object: event.object },
    }),
  );
  const signature = signer.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? CONNECT_WEBHOOK_SECRET,
    timestamp: options.timestamp,
  });
  const response = await fetch(`${apiUrl}/webhooks/stripe/connect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as Json };
}

/** The merchant's connected account at Stripe (acct_...), as the API recorded it. */
export async function accountOf(orm: Orm, merchantId: string): Promise<string> {
  const [row] = await orm.em
    .fork()
    .execute<{ reference: string }[]>('select reference from processor_account where merchant_id = ?', [merchantId]);
  if (!row) throw new Error(`merchant ${merchantId} has no processor account`);
  return row.reference;
}

type OnboardingMerchant = Pick<TestMerchant, 'id' | 'supervisorPassword' | 'client'>;

/** A supervisor starts the merchant's onboarding (startProcessorOnboarding): the Account Link's URL. */
export async function startOnboarding(merchant: OnboardingMerchant): Promise<string> {
  const { elevateSupervisor } = await merchant.client().request(ElevateSupervisorDocument, { password: merchant.supervisorPassword });
  const { startProcessorOnboarding } = await merchant.client(elevateSupervisor.token).request(StartProcessorOnboardingDocument, {
    returnUrl: 'https://console.example/settings',
    refreshUrl: 'https://console.example/settings',
  });
  return startProcessorOnboarding.url;
}

/**
 * The whole of a merchant's Stripe onboarding: the supervisor's link, the merchant finishing
 * Stripe's hosted pages (the local server's helper), and Stripe's account.updated to the Connect endpoint.
 */
export async function completeStripeOnboarding(options: {
  apiUrl: string;
  stripeApiBase: string;
  orm: Orm;
  merchant: OnboardingMerchant;
}): Promise<string> {
  await startOnboarding(options.merchant);
  const account = await accountOf(options.orm, options.merchant.id);
  const updated = (await (
    await fetch(`${options.stripeApiBase}/kometpay_test/accounts/${account}/complete_onboarding`, { method: 'POST' })
  ).json()) as Json;
  const delivered = await deliverConnectEvent(options.apiUrl, { type: 'account.updated', object: updated, account });
  if (delivered.status !== 200) throw new Error(`account.updated answered ${delivered.status}`);
  return account;
}

/** The API's settings for Stripe mode, the SDK pointed at the local Stripe-shaped server on `port`. */
export function stripeModeSettings(port: number, webhookSecret: string): Record<string, string> {
  return {
    PAYMENT_PROCESSOR: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_kometpay',
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    STRIPE_PUBLISHABLE_KEY: 'pk_test_kometpay',
    STRIPE_API_BASE: `http://127.0.0.1:${port}`,
  };
}
