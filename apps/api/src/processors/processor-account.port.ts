/**
 * Each merchant's own account at the processor (Stripe Connect: a Standard connected account; the
 * sandbox: a sandbox account). The platform makes and reads accounts and hands out a
 * PaymentProcessor bound to one account: every call through it is made for that account (Stripe:
 * the `Stripe-Account` header; the sandbox: its objects carry the account, and another account's
 * are not found). Kept apart from processor.port.ts so that the PaymentProcessor port keeps one
 * account parameter nowhere.
 */
import type { PaymentProcessor, ProcessorEvent, ProcessorKind } from './processor.port.js';

export type ProcessorAccountStatus = 'PENDING_ONBOARDING' | 'RESTRICTED' | 'ACTIVE' | 'DISABLED';

export interface ProcessorAccountState {
  /** The processor's id for the account (Stripe: acct_...). */
  reference: string;
  status: ProcessorAccountStatus;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  /** What the processor still needs from the merchant (Stripe: requirements.currently_due). */
  requirementsDue: string[];
}

export interface CreateAccountRequest {
  idempotencyKey: string;
  merchantId: string;
  merchantName: string;
}

export interface OnboardingLink {
  url: string;
  expiresAt: Date;
}

export interface ProcessorPlatform {
  readonly kind: ProcessorKind;
  /** A processor whose every call is made for this account. */
  forAccount(accountReference: string): PaymentProcessor;
  createAccount(request: CreateAccountRequest): Promise<ProcessorAccountState>;
  /** The account as the processor holds it now (webhooks are only a hint). */
  retrieveAccount(accountReference: string): Promise<ProcessorAccountState>;
  /** A single-use link to the processor's hosted onboarding (Stripe: an Account Link). */
  createOnboardingLink(accountReference: string, urls: { returnUrl: string; refreshUrl: string }): Promise<OnboardingLink>;
  /** Verifies an event of the platform's own account (its own webhook endpoint and secret). */
  parseWebhook(rawBody: Buffer, signatureHeader: string | undefined): ProcessorEvent;
  /**
   * Verifies an event of a connected account with the Connect endpoint's own signing secret; the
   * event names its account. Throws WebhookSignatureError, as parseWebhook does.
   */
  parseConnectWebhook(rawBody: Buffer, signatureHeader: string | undefined): ProcessorEvent;
}

/** Whether an account can take a charge now. */
export const takesCharges = (state: Pick<ProcessorAccountState, 'status' | 'chargesEnabled'>) =>
  state.chargesEnabled && state.status !== 'DISABLED' && state.status !== 'PENDING_ONBOARDING';

/**
 * The processor bound to a merchant's account, as the payments area asks for it: `of` whatever
 * the account's state (recovery, webhooks, refunds already begun, settlement); `ready` only when it
 * can take charges (PROCESSOR_ACCOUNT_NOT_READY otherwise).
 */
export interface MerchantProcessors {
  of(merchantId: string): Promise<PaymentProcessor>;
  ready(merchantId: string): Promise<PaymentProcessor>;
  /** The account as a read already brought it (the pay page's first statement): no statement of its own then. */
  remember(merchantId: string, account: Pick<ProcessorAccountState, 'reference' | 'status' | 'chargesEnabled'>): void;
}
