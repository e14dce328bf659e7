import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { DomainError, ErrorCode } from '../../domain/errors.js';
import type { PaymentProcessor } from '../../processors/processor.port.js';
import {
  type MerchantProcessors,
  type ProcessorAccountState,
  type ProcessorPlatform,
  takesCharges,
} from '../../processors/processor-account.port.js';
import { ProcessorAccount } from './processor-account.entity.js';
import { ensureProcessorAccount } from './processor-account.service.js';

interface Known {
  reference: string;
  ready: boolean;
  readAt: number;
}

export const accountNotReady = () =>
  new DomainError(
    ErrorCode.PROCESSOR_ACCOUNT_NOT_READY,
    "The merchant's processor account cannot take payments yet: its onboarding is not complete. Nothing was charged.",
  );

/**
 * Process-wide: which account each merchant's calls are made for, and whether it can take charges.
 * An account's reference never changes, so it is remembered; a ready account is trusted for
 * `cacheSeconds` (a payment then costs no statement to find its account), an account that is not
 * ready is read again on each money request, so that it can take charges the moment it is onboarded.
 * An instance that sees an account change forgets it at once; others within `cacheSeconds`, and the
 * processor itself refuses charges on an account it disabled meanwhile.
 */
export class ProcessorAccountDirectory implements MerchantProcessors {
  private readonly known = new Map<string, Known>();

  constructor(
    readonly platform: ProcessorPlatform,
    private readonly em: () => EntityManager,
    private readonly clock: Clock,
    private readonly cacheSeconds: number,
  ) {}

  async of(merchantId: string): Promise<PaymentProcessor> {
    const known = this.known.get(merchantId) ?? (await this.read(merchantId));
    return this.platform.forAccount(known.reference);
  }

  async ready(merchantId: string): Promise<PaymentProcessor> {
    const cached = this.known.get(merchantId);
    const fresh = cached?.ready && this.clock.now().getTime() - cached.readAt < this.cacheSeconds * 1000;
    const known = fresh ? cached! : await this.read(merchantId);
    if (!known.ready) throw accountNotReady();
    return this.platform.forAccount(known.reference);
  }

  /** What the account's row says (a payment link's read brings it along at no cost). */
  remember(merchantId: string, account: Pick<ProcessorAccountState, 'reference' | 'status' | 'chargesEnabled'>): void {
    this.known.set(merchantId, { reference: account.reference, ready: takesCharges(account), readAt: this.clock.now().getTime() });
  }

  forget(merchantId: string): void {
    this.known.delete(merchantId);
  }

  private async read(merchantId: string): Promise<Known> {
    // The sandbox gives every merchant an account on first sight (one made before accounts existed too).
    const row =
      (await this.em().findOne(ProcessorAccount, { merchantId })) ??
      (this.platform.kind === 'sandbox' ? await ensureProcessorAccount(this.em(), this.platform, this.clock, merchantId) : null);
    if (!row) throw accountNotReady();
    this.remember(merchantId, row);
    return this.known.get(merchantId)!;
  }
}
