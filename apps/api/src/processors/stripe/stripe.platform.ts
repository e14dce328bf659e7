/**
 * Stripe Connect: each merchant's Standard connected account, reached with direct charges (see
 * docs/decisions/connect-standard-accounts.md). The platform's secret key makes accounts and
 * Account Links; a StripeProcessor bound to an account makes every other call.
 */
import Stripe from 'stripe';
import type { PaymentProcessor, ProcessorEvent } from '../processor.port.js';
import type {
  CreateAccountRequest,
  OnboardingLink,
  ProcessorAccountState,
  ProcessorAccountStatus,
  ProcessorPlatform,
} from '../processor-account.port.js';
import { toProcessorError } from './stripe.mapping.js';
import { StripeProcessor, type StripeProcessorOptions, stripeClient, verifiedEvent } from './stripe.processor.js';

export interface StripePlatformOptions extends StripeProcessorOptions {
  /** The signing secret of the Connect webhook endpoint (events of connected accounts). */
  connectWebhookSecret: string;
}

/** Our status of a Stripe account: what it may do now, and whether Stripe still waits for the merchant. */
export function accountState(account: Stripe.Account): ProcessorAccountState {
  const chargesEnabled = Boolean(account.charges_enabled);
  const payoutsEnabled = Boolean(account.payouts_enabled);
  const requirementsDue = account.requirements?.currently_due ?? [];
  const disabledReason = account.requirements?.disabled_reason ?? null;
  let status: ProcessorAccountStatus;
  if (disabledReason?.startsWith('rejected') || disabledReason === 'platform_paused') status = 'DISABLED';
  else if (chargesEnabled && payoutsEnabled && !requirementsDue.length) status = 'ACTIVE';
  else if (account.details_submitted) status = 'RESTRICTED';
  else status = 'PENDING_ONBOARDING';
  return { reference: account.id, status, chargesEnabled, payoutsEnabled, requirementsDue };
}

export class StripePlatform implements ProcessorPlatform {
  readonly kind = 'stripe' as const;
  private readonly stripe: Stripe;
  /** The platform's own account: its webhook endpoint (payments made before Connect). */
  readonly platformProcessor: StripeProcessor;

  constructor(private readonly options: StripePlatformOptions) {
    this.stripe = stripeClient(options);
    this.platformProcessor = new StripeProcessor({ client: this.stripe, webhookSecret: options.webhookSecret });
  }

  private readonly bound = new Map<string, StripeProcessor>();

  forAccount(accountReference: string): PaymentProcessor {
    let processor = this.bound.get(accountReference);
    if (!processor) {
      processor = new StripeProcessor({ client: this.stripe, webhookSecret: this.options.webhookSecret }, accountReference);
      this.bound.set(accountReference, processor);
    }
    return processor;
  }

  async createAccount(request: CreateAccountRequest): Promise<ProcessorAccountState> {
    try {
      const account = await this.stripe.accounts.create(
        { type: 'standard', business_profile: { name: request.merchantName }, metadata: { merchantId: request.merchantId } },
        { idempotencyKey: request.idempotencyKey },
      );
      return accountState(account);
    } catch (error) {
      throw toProcessorError(error);
    }
  }

  async retrieveAccount(accountReference: string): Promise<ProcessorAccountState> {
    try {
      return accountState(await this.stripe.accounts.retrieve(accountReference));
    } catch (error) {
      // The platform no longer has access: the merchant disconnected its account (account.application.deauthorized).
      if (error instanceof Stripe.errors.StripePermissionError) {
        return { reference: accountReference, status: 'DISABLED', chargesEnabled: false, payoutsEnabled: false, requirementsDue: [] };
      }
      throw toProcessorError(error);
    }
  }

  async createOnboardingLink(accountReference: string, urls: { returnUrl: string; refreshUrl: string }): Promise<OnboardingLink> {
    try {
      const link = await this.stripe.accountLinks.create({
        account: accountReference,
        type: 'account_onboarding',
        return_url: urls.returnUrl,
        refresh_url: urls.refreshUrl,
      });
      return { url: link.url, expiresAt: new Date(link.expires_at * 1000) };
    } catch (error) {
      throw toProcessorError(error);
    }
  }

  parseWebhook(rawBody: Buffer, signatureHeader: string | undefined): ProcessorEvent {
    return this.platformProcessor.parseWebhook(rawBody, signatureHeader);
  }

  parseConnectWebhook(rawBody: Buffer, signatureHeader: string | undefined): ProcessorEvent {
    return verifiedEvent(this.stripe, rawBody, signatureHeader, this.options.connectWebhookSecret);
  }
}
