import type { EntityManager } from '@mikro-orm/postgresql';
import express, { type Router } from 'express';
import { formatMoney } from '../../domain/money.js';
import type { Logger } from '../../kit/logger.js';
import type { ProcessorEventService } from '../../modules/processor-events/index.js';
import { ProcessorError, type ProcessorEvent, WebhookSignatureError } from '../../processors/processor.port.js';
import type { ProcessorPlatform } from '../../processors/processor-account.port.js';
import { SandboxPlatform } from '../../processors/sandbox/sandbox.platform.js';
import { TokeniserError, tokenise } from '../../processors/sandbox/sandbox.tokeniser.js';

interface WebhookRouteDeps {
  logger: Logger;
  platform: ProcessorPlatform;
  /** In a unit of work of its own, for each event. */
  processorEvents: () => ProcessorEventService;
}

/**
 * POST /webhooks/stripe (the platform's own events, STRIPE_WEBHOOK_SECRET) and
 * POST /webhooks/stripe/connect (events of the merchants' connected accounts,
 * STRIPE_CONNECT_WEBHOOK_SECRET): the signature is checked on the raw body (5-minute tolerance);
 * the event goes to the merchant whose account it names, and is then the processor-events module's
 * (handled once, its payload only a hint). An event of an account that is no merchant's, or of the
 * platform's own account, is logged and acknowledged: nothing changes.
 */
export function webhookRouter({ logger, platform, processorEvents }: WebhookRouteDeps): Router {
  const router = express.Router();
  const handle = async (events: ProcessorEventService, event: ProcessorEvent, merchantId: string, res: express.Response) => {
    const outcome = await events.handle(event, merchantId);
    if (outcome.status === 'failed') {
      logger.error({ err: outcome.error, eventId: event.id }, 'webhook handling failed');
      return void res.status(500).json({ error: 'handling failed; retry' });
    }
    res.json(outcome.status === 'duplicate' ? { received: true, duplicate: true } : { received: true });
  };
  const route = (path: string, parse: (body: Buffer, signature: string | undefined) => ProcessorEvent) =>
    router.post(path, express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
      let event: ProcessorEvent;
      try {
        event = parse(req.body as Buffer, req.header('stripe-signature'));
      } catch (error) {
        if (error instanceof WebhookSignatureError) return void res.status(400).json({ error: error.message });
        throw error;
      }
      const events = processorEvents();
      const merchantId = await events.merchantOf(event);
      if (!merchantId) {
        logger.warn(
          { eventId: event.id, type: event.processorType, account: event.account ?? null },
          'webhook of no merchant account ignored',
        );
        return void res.json({ received: true, ignored: true });
      }
      await handle(events, event, merchantId, res);
    });
  route('/webhooks/stripe', (body, signature) => platform.parseWebhook(body, signature));
  route('/webhooks/stripe/connect', (body, signature) => platform.parseConnectWebhook(body, signature));

  return router;
}

interface SandboxRouteDeps {
  /** A fresh EntityManager fork. */
  em: () => EntityManager;
  platform: ProcessorPlatform;
  /** The checkout, the only place the challenge page sends the customer back to. */
  checkoutUrl: string;
  /** With the checkout, where the onboarding page may send the merchant back to. */
  consoleUrl: string;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The sandbox's 3-D Secure challenge, as a bank's page looks in test mode: complete it, or fail it. */
function challengePage(reference: string, amount: string, returnUrl: string | null): string {
  const back = returnUrl ? `<input type="hidden" name="return_url" value="${escapeHtml(returnUrl)}">` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Card authentication (test mode)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
form{display:inline}button{font:inherit;padding:.6rem 1.2rem;margin:.5rem .5rem 0 0;border-radius:.4rem;border:1px solid #1b1b1b;cursor:pointer}
.complete{background:#1b5e20;color:#fff;border-color:#1b5e20}.fail{background:#fff;color:#8b0000;border-color:#8b0000}</style></head>
<body><main><h1>Authenticate this card payment</h1>
<p>Test mode: this page stands in for your bank's 3-D Secure check of a payment of <strong>${escapeHtml(amount)}</strong>. No real money moves.</p>
<form method="post"><input type="hidden" name="outcome" value="complete">${back}<button class="complete" type="submit">Complete authentication</button></form>
<form method="post"><input type="hidden" name="outcome" value="fail">${back}<button class="fail" type="submit">Fail authentication</button></form>
<p><small>Payment ${escapeHtml(reference)}</small></p></main></body></html>`;
}

/** The sandbox's hosted onboarding, as Stripe's looks in test mode: one button completes it. */
function onboardingPage(account: string, status: string, returnUrl: string | null): string {
  const back = returnUrl ? `<input type="hidden" name="return_url" value="${escapeHtml(returnUrl)}">` : '';
  const done = status === 'ACTIVE';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set up your payments account (test mode)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
button{font:inherit;padding:.6rem 1.2rem;margin-top:.5rem;border-radius:.4rem;border:1px solid #1b5e20;background:#1b5e20;color:#fff;cursor:pointer}</style></head>
<body><main><h1>Set up your payments account</h1>
<p>Test mode: this page stands in for the processor's onboarding, where a business gives its details and bank account. Nothing real is asked.</p>
<p id="account-status">Account status: <strong>${done ? 'Active: online payments are on' : 'Onboarding not complete'}</strong></p>
${
  done
    ? returnUrl
      ? `<p><a href="${escapeHtml(returnUrl)}">Back</a></p>`
      : ''
    : `<form method="post">${back}<button type="submit">Complete onboarding</button></form>`
}
<p><small>Account ${escapeHtml(account)}</small></p></main></body></html>`;
}

/**
 * The sandbox's Stripe-shaped endpoints: the tokeniser the checkout page posts card or bank details
 * to (so they never reach KometPay's own API), the 3-D Secure challenge page its customer completes
 * or fails, the onboarding page of a merchant's sandbox account, the simulated reader's "present a
 * card" helper, and the card network's decision on a dispute.
 */
export function sandboxRouter({ em, platform, checkoutUrl, consoleUrl }: SandboxRouteDeps): Router {
  const router = express.Router();
  if (!(platform instanceof SandboxPlatform)) return router;
  const processor = platform.controls;
  const form = express.urlencoded({ extended: true, limit: '16kb' });
  const stripeError = (res: express.Response, status: number, code: string, message: string, param?: string) =>
    res.status(status).json({ error: { type: status === 402 ? 'card_error' : 'invalid_request_error', code, message, param } });

  // CORS (the checkout's origin only) is applied to every route by the server.
  router.post('/sandbox/v1/payment_methods', form, async (req, res) => {
    try {
      const method = await tokenise(em(), req.body ?? {}, new Date());
      res.json({
        id: method.id,
        object: 'payment_method',
        type: method.type,
        ...(method.type === 'card'
          ? {
              card: {
                brand: method.brand,
                last4: method.last4,
                exp_month: method.expMonth,
                exp_year: method.expYear,
                funding: method.funding,
              },
            }
          : { us_bank_account: { bank_name: method.brand, last4: method.last4 } }),
      });
    } catch (error) {
      if (error instanceof TokeniserError) return void stripeError(res, 402, error.code, error.message, error.param);
      throw error;
    }
  });

  const checkoutOrigin = new URL(checkoutUrl).origin;
  // Back to the checkout only: any other return address would make this page an open redirect.
  const returnUrlOf = (value: unknown): string | null => {
    if (typeof value !== 'string') return null;
    const url = URL.parse(value);
    return url && url.origin === checkoutOrigin ? url.toString() : null;
  };

  router.get('/sandbox/v1/payment_intents/:payment/challenge', async (req, res) => {
    try {
      const payment = await processor.retrievePayment(String(req.params.payment));
      if (payment.nextAction?.type !== 'AUTHENTICATE') return void res.redirect(303, returnUrlOf(req.query.return_url) ?? checkoutUrl);
      res
        .type('html')
        .send(challengePage(payment.reference, formatMoney(payment.amount, payment.currency), returnUrlOf(req.query.return_url)));
    } catch (error) {
      if (error instanceof ProcessorError) return void stripeError(res, 404, 'resource_missing', error.message);
      throw error;
    }
  });

  router.post('/sandbox/v1/payment_intents/:payment/challenge', form, async (req, res) => {
    const outcome = req.body?.outcome;
    if (outcome !== 'complete' && outcome !== 'fail')
      return void stripeError(res, 400, 'parameter_invalid', 'outcome must be complete or fail', 'outcome');
    try {
      const payment = await processor.completeChallenge(String(req.params.payment), outcome);
      const returnUrl = returnUrlOf(req.body?.return_url);
      if (returnUrl) return void res.redirect(303, returnUrl);
      res.json({ payment_intent: payment.reference, status: payment.status.toLowerCase() });
    } catch (error) {
      if (error instanceof ProcessorError) return void stripeError(res, 404, 'resource_missing', error.message);
      throw error;
    }
  });

  // Back to the console or the checkout only: any other address would make these pages an open redirect.
  const allowedOrigins = new Set([checkoutOrigin, new URL(consoleUrl).origin]);
  const backUrlOf = (value: unknown): string | null => {
    const url = typeof value === 'string' ? URL.parse(value) : null;
    return url && allowedOrigins.has(url.origin) ? url.toString() : null;
  };

  router.get('/sandbox/v1/accounts/:account/onboarding', async (req, res) => {
    try {
      const account = await platform.retrieveAccount(String(req.params.account));
      res.type('html').send(onboardingPage(account.reference, account.status, backUrlOf(req.query.return_url)));
    } catch (error) {
      if (error instanceof ProcessorError) return void stripeError(res, 404, 'resource_missing', error.message);
      throw error;
    }
  });

  router.post('/sandbox/v1/accounts/:account/onboarding', form, async (req, res) => {
    try {
      const account = await platform.completeOnboarding(String(req.params.account));
      const back = backUrlOf(req.body?.return_url);
      if (back) return void res.redirect(303, back);
      res.type('html').send(onboardingPage(account.reference, account.status, null));
    } catch (error) {
      if (error instanceof ProcessorError) return void stripeError(res, 404, 'resource_missing', error.message);
      throw error;
    }
  });

  // The card network's decision on a dispute, as a test helper: {"outcome":"won"|"lost"} (JSON or form).
  router.post('/sandbox/v1/disputes/:dispute/close', express.json({ limit: '4kb' }), form, async (req, res) => {
    const outcome = req.body?.outcome;
    if (outcome !== 'won' && outcome !== 'lost')
      return void stripeError(res, 400, 'parameter_invalid', 'outcome must be won or lost', 'outcome');
    try {
      const dispute = await processor.closeDispute(String(req.params.dispute), outcome);
      res.json({
        id: dispute.reference,
        object: 'dispute',
        status: dispute.status.toLowerCase(),
        payment_intent: dispute.paymentReference,
      });
    } catch (error) {
      if (error instanceof ProcessorError) return void stripeError(res, 400, 'dispute_closed', error.message);
      throw error;
    }
  });

  router.post('/sandbox/v1/terminal/readers/:reader/present_payment_method', form, async (req, res) => {
    try {
      const paymentMethod = req.body?.payment_method ?? (await tokenise(em(), { type: 'card', card: req.body?.card }, new Date())).id;
      const payment = await processor.presentOnReader(String(req.params.reader), String(paymentMethod));
      res.json({ payment_intent: payment.reference, status: payment.status.toLowerCase() });
    } catch (error) {
      if (error instanceof TokeniserError) return void stripeError(res, 402, error.code, error.message, error.param);
      if (error instanceof ProcessorError) return void stripeError(res, 400, error.code.toLowerCase(), error.message);
      throw error;
    }
  });
  return router;
}
