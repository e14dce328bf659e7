import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { badInput, DomainError, ErrorCode } from '../../domain/errors.js';
import { ProcessorError } from '../../processors/processor.port.js';
import type { OnboardingLink, ProcessorAccountState, ProcessorPlatform } from '../../processors/processor-account.port.js';
import type { AuditService } from '../audit/index.js';
import type { MerchantActor } from '../merchant/index.js';
import { Merchant } from '../merchant/index.js';
import { recordEvent } from '../outbox/index.js';
import { ProcessorAccount } from './processor-account.entity.js';
import type { ProcessorAccountDirectory } from './processor-account-directory.js';

/** What a merchant without an account yet sees (Stripe mode, before onboarding starts). */
export interface ProcessorAccountView {
  kind: 'sandbox' | 'stripe';
  status: ProcessorAccountState['status'];
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  requirementsDue: string[];
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Where the processor's onboarding sends the merchant back: an absolute https URL (http only on this machine). */
export function onboardingUrl(value: string, field: 'returnUrl' | 'refreshUrl'): string {
  const url = URL.parse(value.trim());
  const allowed = url && (url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)));
  if (!allowed || url.username || url.password) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `${field} must be an absolute https URL (http only on localhost)`, { field });
  }
  return url.toString();
}

/**
 * The merchant's account at the processor: made once (an idempotency key per merchant, so a retry
 * finds the same account), recorded with an outbox event. The processor is called outside any
 * database transaction.
 */
export async function ensureProcessorAccount(
  em: EntityManager,
  platform: ProcessorPlatform,
  clock: Clock,
  merchantId: string,
): Promise<ProcessorAccount> {
  const existing = await em.fork().findOne(ProcessorAccount, { merchantId });
  if (existing) return existing;
  const merchant = await em.fork().findOne(Merchant, { id: merchantId });
  if (!merchant) throw badInput('merchant', `No merchant with id ${merchantId}`);
  let state: ProcessorAccountState;
  try {
    state = await platform.createAccount({ idempotencyKey: `account_${merchantId}`, merchantId, merchantName: merchant.name });
  } catch (error) {
    if (error instanceof ProcessorError && !error.retryable) throw error;
    throw new DomainError(
      ErrorCode.PROCESSOR_UNAVAILABLE,
      'The payment processor did not answer; nothing was changed. Please retry.',
      {},
      true,
    );
  }
  return em.fork().transactional(async (tx) => {
    const now = clock.now();
    const inserted = await tx.execute<{ merchant_id: string }[]>(
      `insert into processor_account (merchant_id, kind, reference, status, charges_enabled, payouts_enabled, requirements_due, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (merchant_id) do nothing returning merchant_id`,
      [
        merchantId,
        platform.kind,
        state.reference,
        state.status,
        state.chargesEnabled,
        state.payoutsEnabled,
        JSON.stringify(state.requirementsDue),
        now,
        now,
      ],
    );
    if (inserted.length) {
      recordEvent(
        tx,
        {
          merchantId,
          aggregateType: 'processor_account',
          aggregateId: merchantId,
          type: 'processor_account.created',
          payload: { kind: platform.kind, status: state.status, chargesEnabled: state.chargesEnabled },
        },
        now,
      );
    }
    return tx.findOneOrFail(ProcessorAccount, { merchantId });
  });
}

export class ProcessorAccountService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly directory: ProcessorAccountDirectory,
    private readonly audit: AuditService,
  ) {}

  private get platform() {
    return this.directory.platform;
  }

  /** The merchant's account as we last read it; in the sandbox, made on first sight (ACTIVE unless settings say otherwise). */
  async view(merchantId: string): Promise<ProcessorAccountView> {
    const account =
      (await this.em.findOne(ProcessorAccount, { merchantId })) ??
      (this.platform.kind === 'sandbox' ? await ensureProcessorAccount(this.em, this.platform, this.clock, merchantId) : null);
    if (!account)
      return { kind: this.platform.kind, status: 'PENDING_ONBOARDING', chargesEnabled: false, payoutsEnabled: false, requirementsDue: [] };
    return {
      kind: account.kind,
      status: account.status,
      chargesEnabled: account.chargesEnabled,
      payoutsEnabled: account.payoutsEnabled,
      requirementsDue: account.requirementsDue,
    };
  }

  /** A link to the processor's hosted onboarding, the account made first if the merchant has none yet. */
  async startOnboarding(
    actor: MerchantActor | null,
    merchantId: string,
    urls: { returnUrl: string; refreshUrl: string },
  ): Promise<OnboardingLink> {
    const returnUrl = onboardingUrl(urls.returnUrl, 'returnUrl');
    const refreshUrl = onboardingUrl(urls.refreshUrl, 'refreshUrl');
    const account = await ensureProcessorAccount(this.em, this.platform, this.clock, merchantId);
    let link: OnboardingLink;
    try {
      link = await this.platform.createOnboardingLink(account.reference, { returnUrl, refreshUrl });
    } catch (error) {
      if (error instanceof ProcessorError && !error.retryable) throw error;
      throw new DomainError(ErrorCode.PROCESSOR_UNAVAILABLE, 'The payment processor did not answer; please retry.', {}, true);
    }
    await this.audit.record({
      merchantId,
      ...(actor ? { actor } : { actorType: 'operator' }),
      action: 'processor_account.onboarding_started',
      targetType: 'processor_account',
      targetId: merchantId,
    });
    return link;
  }

  /**
   * An account changed at the processor (account.updated; the payload is only a hint): read it
   * there, record what changed with an outbox event. Answers null for an account that is no
   * merchant's (nothing changes).
   */
  async sync(accountReference: string): Promise<ProcessorAccount | null> {
    const known = await this.em.fork().findOne(ProcessorAccount, { reference: accountReference });
    if (!known) return null;
    const state = await this.platform.retrieveAccount(accountReference);
    const updated = await this.em.fork().transactional(async (tx) => {
      const account = await tx.findOneOrFail(ProcessorAccount, { merchantId: known.merchantId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const changed =
        account.status !== state.status ||
        account.chargesEnabled !== state.chargesEnabled ||
        account.payoutsEnabled !== state.payoutsEnabled ||
        JSON.stringify(account.requirementsDue) !== JSON.stringify(state.requirementsDue);
      if (!changed) return account;
      const from = account.status;
      const now = this.clock.now();
      Object.assign(account, {
        status: state.status,
        chargesEnabled: state.chargesEnabled,
        payoutsEnabled: state.payoutsEnabled,
        requirementsDue: state.requirementsDue,
        updatedAt: now,
      });
      recordEvent(
        tx,
        {
          merchantId: account.merchantId,
          aggregateType: 'processor_account',
          aggregateId: account.merchantId,
          type: 'processor_account.updated',
          payload: { from, to: state.status, chargesEnabled: state.chargesEnabled, payoutsEnabled: state.payoutsEnabled },
        },
        now,
      );
      return account;
    });
    this.directory.forget(updated.merchantId);
    return updated;
  }

  /** The merchant's account at the processor, null before it has one. */
  async referenceOf(merchantId: string): Promise<string | null> {
    return (await this.em.findOne(ProcessorAccount, { merchantId }))?.reference ?? null;
  }

  /** The merchant whose account this is (webhooks of connected accounts), null for none. */
  async merchantOf(accountReference: string): Promise<string | null> {
    return (await this.em.fork().findOne(ProcessorAccount, { reference: accountReference }))?.merchantId ?? null;
  }
}
