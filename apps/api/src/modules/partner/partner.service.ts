import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { badInput, notFound } from '../../domain/errors.js';
import { isUuid } from '../../domain/tokens.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MerchantActor } from '../merchant/actor.js';
import { recordEvent } from '../outbox/outbox.service.js';
import { PartnerGrant } from './partner-grant.entity.js';
import { Partner } from './partner.entity.js';

export class PartnerService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** Onboarding (operator CLI). */
  async create(input: { name: string }): Promise<Partner> {
    const name = input.name.trim();
    if (!name) throw badInput('name', 'A partner needs a name');
    const partner = this.em.create(Partner, { name });
    await this.em.flush();
    return partner;
  }

  async list(): Promise<Partner[]> {
    return this.em.find(Partner, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /**
   * Lets a partner follow the merchant's payments. Granting twice changes nothing; a grant after a
   * revoke opens access again. The change is an outbox event, which live streams act on.
   */
  async grant(actor: MerchantActor, partnerId: string): Promise<void> {
    await this.findPartner(partnerId);
    let grant: PartnerGrant | null;
    try {
      grant = await this.em.transactional(async (tx) => {
        const existing = await tx.findOne(PartnerGrant, { merchant: actor.merchantId, partner: partnerId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (existing && !existing.revokedAt) return null;
        const now = this.clock.now();
        const opened = existing ?? tx.create(PartnerGrant, { merchant: actor.merchantId, partner: partnerId, grantedAt: now });
        opened.grantedAt = now;
        opened.revokedAt = null;
        recordEvent(tx, { merchantId: actor.merchantId, aggregateType: 'partner_grant', aggregateId: opened.id, type: 'partner_grant.granted', payload: { partnerId } }, now);
        return opened;
      });
    } catch (error) {
      // A concurrent first grant of the same pair won the insert: the partner has access, as asked.
      if (error instanceof UniqueConstraintViolationException) return;
      throw error;
    }
    if (grant) await this.recordAudit(actor, 'partner_access.granted', partnerId);
  }

  /** Ends the partner's access; its open streams of this merchant end with FORBIDDEN. Revoking twice changes nothing. */
  async revoke(actor: MerchantActor, partnerId: string): Promise<void> {
    await this.findPartner(partnerId);
    const revoked = await this.em.transactional(async (tx) => {
      const grant = await tx.findOne(PartnerGrant, { merchant: actor.merchantId, partner: partnerId, revokedAt: null }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!grant) return false;
      const now = this.clock.now();
      grant.revokedAt = now;
      recordEvent(tx, { merchantId: actor.merchantId, aggregateType: 'partner_grant', aggregateId: grant.id, type: 'partner_grant.revoked', payload: { partnerId } }, now);
      return true;
    });
    if (revoked) await this.recordAudit(actor, 'partner_access.revoked', partnerId);
  }

  /** Whether the merchant's grant to the partner is in force now (a count, so never a cached entity). */
  async hasAccess(partnerId: string, merchantId: string): Promise<boolean> {
    if (!isUuid(merchantId)) return false;
    return (await this.em.count(PartnerGrant, { partner: partnerId, merchant: merchantId, revokedAt: null })) > 0;
  }

  private async findPartner(partnerId: string): Promise<Partner> {
    const partner = isUuid(partnerId) ? await this.em.findOne(Partner, { id: partnerId }) : null;
    if (!partner) throw notFound('partner', 'partnerId');
    return partner;
  }

  private recordAudit(actor: MerchantActor, action: string, partnerId: string): Promise<void> {
    return this.audit.record({ merchantId: actor.merchantId, actorType: 'api_key', actorId: actor.apiKeyId, action, targetType: 'partner', targetId: partnerId });
  }
}
