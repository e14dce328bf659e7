import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ProcessorError, type ProcessorEvent, WebhookSignatureError } from '../processor.port.js';
import type { CreateAccountRequest, OnboardingLink, ProcessorAccountState, ProcessorPlatform } from '../processor-account.port.js';
import { SandboxAccount } from './sandbox.entities.js';
import { type SandboxOptions, SandboxProcessor } from './sandbox.processor.js';

export interface SandboxPlatformOptions extends SandboxOptions {
  /** New accounts wait for the sandbox's onboarding page (tests of onboarding); otherwise they are ACTIVE at once. */
  accountsStartPending: () => boolean;
  /** The sandbox's Connect "webhook": an account changed (its onboarding page was completed). */
  notifyAccount(accountReference: string): Promise<void>;
}

/** Onboarding links last as long as Stripe's Account Links do. */
const LINK_TTL_MS = 300_000;

const stateOf = (account: SandboxAccount): ProcessorAccountState =>
  account.status === 'active'
    ? { reference: account.id, status: 'ACTIVE', chargesEnabled: true, payoutsEnabled: true, requirementsDue: [] }
    : {
        reference: account.id,
        status: 'PENDING_ONBOARDING',
        chargesEnabled: false,
        payoutsEnabled: false,
        requirementsDue: ['business_profile.url', 'external_account', 'tos_acceptance.date'],
      };

/** The sandbox's accounts: one per merchant, each a SandboxProcessor bound to it. */
export class SandboxPlatform implements ProcessorPlatform {
  readonly kind = 'sandbox' as const;
  /** Finds objects by id whatever their account: the sandbox's own test-mode controls (3-D Secure page, reader, ACH job). */
  readonly controls: SandboxProcessor;

  constructor(private readonly options: SandboxPlatformOptions) {
    this.controls = new SandboxProcessor(options);
  }

  private readonly bound = new Map<string, SandboxProcessor>();

  forAccount(accountReference: string): SandboxProcessor {
    let processor = this.bound.get(accountReference);
    if (!processor) this.bound.set(accountReference, (processor = new SandboxProcessor(this.options, accountReference)));
    return processor;
  }

  async createAccount(request: CreateAccountRequest): Promise<ProcessorAccountState> {
    const em = this.options.em();
    const account = em.create(SandboxAccount, {
      id: `acct_sbx_${randomBytes(12).toString('base64url')}`,
      idempotencyKey: request.idempotencyKey,
      name: request.merchantName,
      status: this.options.accountsStartPending() ? 'pending' : 'active',
    });
    try {
      await em.insert(account);
      return stateOf(account);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return stateOf(await this.options.em().findOneOrFail(SandboxAccount, { idempotencyKey: request.idempotencyKey }));
    }
  }

  async retrieveAccount(accountReference: string): Promise<ProcessorAccountState> {
    const account = await this.options.em().findOne(SandboxAccount, { id: accountReference });
    if (!account) throw new ProcessorError('INVALID_REQUEST', `No such account: ${accountReference}`, false);
    return stateOf(account);
  }

  async createOnboardingLink(accountReference: string, urls: { returnUrl: string; refreshUrl: string }): Promise<OnboardingLink> {
    await this.retrieveAccount(accountReference);
    const url = new URL(`${this.options.publicUrl()}/sandbox/v1/accounts/${accountReference}/onboarding`);
    url.searchParams.set('return_url', urls.returnUrl);
    url.searchParams.set('refresh_url', urls.refreshUrl);
    return { url: url.toString(), expiresAt: new Date(this.options.now().getTime() + LINK_TTL_MS) };
  }

  /** The onboarding page's submit: the account can take charges; the app hears of it as of account.updated. */
  async completeOnboarding(accountReference: string): Promise<ProcessorAccountState> {
    const em = this.options.em();
    const updated = await em.nativeUpdate(SandboxAccount, { id: accountReference, status: 'pending' }, { status: 'active' });
    const state = await this.retrieveAccount(accountReference);
    if (updated) await this.options.notifyAccount(accountReference);
    return state;
  }

  parseWebhook(): ProcessorEvent {
    return this.parseConnectWebhook();
  }

  parseConnectWebhook(): ProcessorEvent {
    throw new WebhookSignatureError('The sandbox processor sends no webhooks; it notifies the app directly');
  }
}
