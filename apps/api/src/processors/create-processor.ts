import type { EntityManager } from '@mikro-orm/postgresql';
import type { Settings } from '../config.js';
import type { Clock } from '../domain/clock.js';
import { enqueueJob } from '../jobs/queue.js';
import type { PaymentProcessor } from './processor.port.js';
import { SandboxProcessor } from './sandbox/sandbox.processor.js';
import { StripeProcessor } from './stripe/stripe.processor.js';

export interface ProcessorWiring {
  em: () => EntityManager;
  /** Called when the sandbox changes a payment by itself (ACH settling, a card on the reader). */
  notify(paymentReference: string): Promise<void>;
  clock: Clock;
}

/** The sandbox (the embedded default) or Stripe (when PAYMENT_PROCESSOR=stripe and its keys are set). */
export function createProcessor(settings: Settings, wiring: ProcessorWiring): PaymentProcessor {
  if (settings.paymentProcessor === 'stripe') {
    if (!settings.stripeSecretKey || !settings.stripeWebhookSecret) {
      throw new Error('PAYMENT_PROCESSOR=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET');
    }
    const base = settings.stripeApiBase ? new URL(settings.stripeApiBase) : null;
    return new StripeProcessor({
      secretKey: settings.stripeSecretKey,
      webhookSecret: settings.stripeWebhookSecret,
      timeoutMs: settings.stripeTimeoutMs,
      ...(base && { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol === 'https:' ? 'https' : 'http' }),
    });
  }
  return new SandboxProcessor({
    em: wiring.em,
    notify: wiring.notify,
    scheduleAchStep: (paymentId, runAt) => enqueueJob(wiring.em(), 'sandbox-advance-ach', { paymentId }, { runAt, maxAttempts: 10 }),
    achSettleAfterMs: settings.sandboxAchSettleSeconds * 1000,
    latencyMs: settings.sandboxLatencyMs,
    now: () => wiring.clock.now(),
  });
}
