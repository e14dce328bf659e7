import { hash } from '@node-rs/argon2';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode, badInput } from '../../domain/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MerchantActor } from './actor.js';
import { Merchant } from './merchant.entity.js';

export const MIN_SUPERVISOR_PASSWORD_LENGTH = 8;

export class MerchantService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  async current(actor: MerchantActor): Promise<Merchant> {
    const merchant = await this.em.findOne(Merchant, { id: actor.merchantId });
    if (!merchant) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'The API key no longer belongs to a merchant');
    return merchant;
  }

  /** Onboarding (operator CLI and the demo seed). */
  async create(input: { name: string; supervisorPassword: string }): Promise<Merchant> {
    const name = input.name.trim();
    if (!name) throw badInput('name', 'A merchant needs a name');
    if (input.supervisorPassword.length < MIN_SUPERVISOR_PASSWORD_LENGTH) {
      throw badInput('supervisorPassword', `The supervisor password needs at least ${MIN_SUPERVISOR_PASSWORD_LENGTH} characters`);
    }
    const merchant = this.em.create(Merchant, { name, supervisorPasswordHash: await hash(input.supervisorPassword) });
    await this.em.flush();
    await this.audit.record({ merchantId: merchant.id, actorType: 'operator', action: 'merchant.created', targetType: 'merchant', targetId: merchant.id });
    return merchant;
  }

  async findById(id: string): Promise<Merchant | null> {
    return this.em.findOne(Merchant, { id });
  }
}
