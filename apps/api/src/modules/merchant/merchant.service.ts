import type { EntityManager } from '@mikro-orm/postgresql';
import { hash } from '@node-rs/argon2';
import { type Clock, systemClock } from '../../domain/clock.js';
import { badInput, DomainError, ErrorCode } from '../../domain/errors.js';
import { isUuid } from '../../domain/tokens.js';
import type { AuditService } from '../audit/index.js';
import type { MerchantActor } from './actor.js';
import { Merchant } from './merchant.entity.js';
import { assertAcceptablePassword } from './password-policy.js';
import { replaceSupervisorPassword } from './supervisor.service.js';

export class MerchantService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clock: Clock = systemClock,
  ) {}

  async current(actor: MerchantActor): Promise<Merchant> {
    const merchant = await this.em.findOne(Merchant, { id: actor.merchantId });
    if (!merchant) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'The credential no longer belongs to a merchant');
    return merchant;
  }

  /** Onboarding (operator CLI and the demo seed). */
  async create(input: { name: string; supervisorPassword: string }): Promise<Merchant> {
    const name = input.name.trim();
    if (!name) throw badInput('name', 'A merchant needs a name');
    assertAcceptablePassword(input.supervisorPassword, 'supervisorPassword');
    const merchant = this.em.create(Merchant, { name, supervisorPasswordHash: await hash(input.supervisorPassword) });
    await this.em.flush();
    await this.audit.record({
      merchantId: merchant.id,
      actorType: 'operator',
      action: 'merchant.created',
      targetType: 'merchant',
      targetId: merchant.id,
    });
    return merchant;
  }

  /** The operator CLI's reset, for a forgotten password: every supervisor session of the merchant ends. */
  async resetSupervisorPassword(merchantId: string, newPassword: string): Promise<void> {
    if (!isUuid(merchantId) || !(await this.em.findOne(Merchant, { id: merchantId })))
      throw badInput('merchant', `No merchant with id ${merchantId}`);
    assertAcceptablePassword(newPassword, 'supervisorPassword');
    const ended = await replaceSupervisorPassword(this.em, this.clock, merchantId, newPassword);
    await this.audit.record({
      merchantId,
      actorType: 'operator',
      action: 'supervisor.password.reset',
      targetType: 'merchant',
      targetId: merchantId,
      details: { supervisorSessionsEnded: ended },
    });
  }

  async findById(id: string): Promise<Merchant | null> {
    return this.em.findOne(Merchant, { id });
  }
}
