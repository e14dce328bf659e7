import express, { type Router } from 'express';
import type { Settings } from '../config.js';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { enqueueJob } from '../jobs/queue.js';
import { ProcessorEventRecord } from '../modules/payment/processor-event.entity.js';
import type { PaymentService } from '../modules/payment/payment.service.js';
import type { RefundService } from '../modules/refund/refund.service.js';
import { ProcessorError, WebhookSignatureError, type PaymentProcessor } from '../processors/processor.port.js';
import { SandboxProcessor } from '../processors/sandbox/sandbox.processor.js';
import { TokeniserError, tokenise } from '../processors/sandbox/sandbox.tokeniser.js';

interface RouteDeps {
  orm: Orm;
  settings: Settings;
  logger: Logger;
  processor: PaymentProcessor;
  payments: () => PaymentService;
  refunds: () => RefundService;
}

/**
 * POST /webhooks/stripe: the signature is checked on the raw body (5-minute tolerance), each event
 * is handled once (processor_event), and its payload is only a hint: the payment is re-read.
 */
export function webhookRouter({ orm, logger, processor, payments, refunds }: RouteDeps): Router {
  const router = express.Router();
  router.post('/webhooks/stripe', express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
    let event;
    try {
      event = processor.parseWebhook(req.body as Buffer, req.header('stripe-signature'));
    } catch (error) {
      if (error instanceof WebhookSignatureError) return void res.status(400).json({ error: error.message });
      throw error;
    }
    const em = orm.em.fork();
    const inserted = await em.execute<{ id: string }[]>(
      'insert into processor_event (id, type, object_reference, received_at) values (?, ?, ?, now()) on conflict (id) do nothing returning id',
      [event.id, event.processorType, event.objectReference],
    );
    if (!inserted.length) return void res.json({ received: true, duplicate: true });
    try {
      if ((event.type === 'payment.updated' || event.type === 'charge.returned') && event.objectReference) {
        await payments().syncFromProcessor(event.objectReference);
      }
      if (event.type === 'refund.updated' && event.objectReference) await refunds().syncFromProcessor(event.objectReference);
      // A payout can carry thousands of balance transactions: reconciled by a job, not in the request.
      if (event.type === 'payout.updated' && event.objectReference) {
        await enqueueJob(em, 'reconcile-payout', { payoutReference: event.objectReference }, { maxAttempts: 25 });
      }
      res.json({ received: true });
    } catch (error) {
      // Forget the event so that the processor's retry is handled again.
      await em.nativeDelete(ProcessorEventRecord, { id: event.id });
      logger.error({ err: error, eventId: event.id }, 'webhook handling failed');
      res.status(500).json({ error: 'handling failed; retry' });
    }
  });
  return router;
}

/**
 * The sandbox's Stripe-shaped endpoints: the tokeniser the checkout page posts card or bank details
 * to (so they never reach KometPay's own API), and the simulated reader's "present a card" helper.
 */
export function sandboxRouter({ orm, processor }: RouteDeps): Router {
  const router = express.Router();
  if (!(processor instanceof SandboxProcessor)) return router;
  const form = express.urlencoded({ extended: true, limit: '16kb' });
  const stripeError = (res: express.Response, status: number, code: string, message: string, param?: string) =>
    res.status(status).json({ error: { type: status === 402 ? 'card_error' : 'invalid_request_error', code, message, param } });

  // CORS (the checkout's origin only) is applied to every route by the server.
  router.post('/sandbox/v1/payment_methods', form, async (req, res) => {
    try {
      const method = await tokenise(orm.em.fork(), req.body ?? {}, new Date());
      res.json({
        id: method.id,
        object: 'payment_method',
        type: method.type,
        ...(method.type === 'card'
          ? { card: { brand: method.brand, last4: method.last4, exp_month: method.expMonth, exp_year: method.expYear, funding: method.funding } }
          : { us_bank_account: { bank_name: method.brand, last4: method.last4 } }),
      });
    } catch (error) {
      if (error instanceof TokeniserError) return void stripeError(res, 402, error.code, error.message, error.param);
      throw error;
    }
  });

  router.post('/sandbox/v1/terminal/readers/:reader/present_payment_method', form, async (req, res) => {
    try {
      const paymentMethod = req.body?.payment_method ?? (await tokenise(orm.em.fork(), { type: 'card', card: req.body?.card }, new Date())).id;
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
