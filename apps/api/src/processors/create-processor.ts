import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../domain/clock.js';
import { enqueueJob } from '../kit/jobs/queue.js';
import type { Settings } from '../kit/settings.js';
import type { ProcessorPlatform } from './processor-account.port.js';
import { SandboxPlatform } from './sandbox/sandbox.platform.js';
import { StripePlatform } from './stripe/stripe.platform.js';

export interface ProcessorWiring {
  em: () => EntityManager;
  /** Called when the sandbox changes a payment of an account by itself (ACH settling, a card on the reader). */
  notify(paymentReference: string, account: string | null): Promise<void>;
  /** Called when the sandbox changes an account by itself (its onboarding page). */
  notifyAccount(accountReference: string): Promise<void>;
  /** Called when the sandbox opens or closes a dispute of an account. */
  notifyDispute(disputeReference: string, account: string | null): Promise<void>;
  clock: Clock;
}

/**
 * The processor's platform: the sandbox (the embedded default) or Stripe Connect (when
 * PAYMENT_PROCESSOR=stripe and its keys are set). Each merchant's calls go through
 * `forAccount(<its account>)`.
 */
export function createProcessorPlatform(settings: Settings, wiring: ProcessorWiring): ProcessorPlatform {
  if (settings.paymentProcessor === 'stripe') {
    if (!settings.stripeSecretKey || !settings.stripeWebhookSecret || !settings.stripeConnectWebhookSecret) {
      throw new Error('PAYMENT_PROCESSOR=stripe needs STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_CONNECT_WEBHOOK_SECRET');
    }
    const base = settings.stripeApiBase ? new URL(settings.stripeApiBase) : null;
    return new StripePlatform({
      secretKey: settings.stripeSecretKey,
      webhookSecret: settings.stripeWebhookSecret,
      connectWebhookSecret: settings.stripeConnectWebhookSecret,
      timeoutMs: settings.stripeTimeoutMs,
      ...(base && {
        host: base.hostname,
        port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
        protocol: base.protocol === 'https:' ? 'https' : 'http',
      }),
    });
  }
  return new SandboxPlatform({
    em: wiring.em,
    notify: wiring.notify,
    notifyAccount: wiring.notifyAccount,
    notifyDispute: wiring.notifyDispute,
    scheduleAchStep: (paymentId, runAt) => enqueueJob(wiring.em(), 'sandbox-advance-ach', { paymentId }, { runAt, maxAttempts: 10 }),
    achSettleAfterMs: settings.sandboxAchSettleSeconds * 1000,
    latencyMs: settings.sandboxLatencyMs,
    now: () => wiring.clock.now(),
    publicUrl: () => settings.publicApiUrl,
    accountsStartPending: () => settings.sandboxAccountsStartPending,
  });
}
