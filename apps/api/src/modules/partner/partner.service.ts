import { randomUUID } from 'node:crypto';
import { type EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { badInput, notFound } from '../../domain/errors.js';
import { isUuid } from '../../domain/tokens.js';
import type { AuditService } from '../audit/index.js';
import type { MerchantActor } from '../merchant/index.js';
import { recordEvent } from '../outbox/index.js';
import { Partner } from './partner.entity.js';
import { PartnerGrant } from './partner-grant.entity.js';

/** A period of access: the partner may see the merchant's events at positions after `from` and, when revoked, before `to`. */
export interface GrantPeriod {
  from: bigint;
  to: bigint | null;
}

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
   * revoke opens a new period of access. The change is an outbox event, which live streams act on;
   * the period starts at that event's position.
   */
  async grant(actor: MerchantActor, partnerId: string): Promise<void> {
    await this.findPartner(partnerId);
    let grant: PartnerGrant | null;
    try {
      grant = await this.em.transactional(async (tx) => {
        const open = await tx.findOne(
          PartnerGrant,
          { merchant: actor.merchantId, partner: partnerId, revokedAt: null },
          { lockMode: LockMode.PESSIMISTIC_WRITE },
        );
        if (open) return null;
        const now = this.clock.now();
        const id = randomUUID();
        const event = recordEvent(
          tx,
          {
            merchantId: actor.merchantId,
            aggregateType: 'partner_grant',
            aggregateId: id,
            type: 'partner_grant.granted',
            payload: { partnerId },
          },
          now,
        );
        await tx.flush();
        return tx.create(PartnerGrant, {
          id,
          merchant: actor.merchantId,
          partner: partnerId,
          grantedAt: now,
          grantedPosition: event.position,
        });
      });
    } catch (error) {
      // A concurrent grant of the same pair opened the period first: the partner has access, as asked.
      if (error instanceof UniqueConstraintViolationException) return;
      throw error;
    }
    if (grant) await this.recordAudit(actor, 'partner_access.granted', partnerId);
  }

  /** Ends the partner's access; its open streams of this merchant end with FORBIDDEN. Revoking twice changes nothing. */
  async revoke(actor: MerchantActor, partnerId: string): Promise<void> {
    await this.findPartner(partnerId);
    const revoked = await this.em.transactional(async (tx) => {
      const grant = await tx.findOne(
        PartnerGrant,
        { merchant: actor.merchantId, partner: partnerId, revokedAt: null },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!grant) return false;
      const now = this.clock.now();
      const event = recordEvent(
        tx,
        {
          merchantId: actor.merchantId,
          aggregateType: 'partner_grant',
          aggregateId: grant.id,
          type: 'partner_grant.revoked',
          payload: { partnerId },
        },
        now,
      );
      await tx.flush();
      grant.revokedAt = now;
      grant.revokedPosition = event.position;
      return true;
    });
    if (revoked) await this.recordAudit(actor, 'partner_access.revoked', partnerId);
  }

  /** Whether the merchant's grant to the partner is in force now (a count, so never a cached entity). */
  async hasAccess(partnerId: string, merchantId: string): Promise<boolean> {
    if (!isUuid(merchantId)) return false;
    return (await this.em.count(PartnerGrant, { partner: partnerId, merchant: merchantId, revokedAt: null })) > 0;
  }

  /** Every period the merchant granted the partner access, oldest first (read afresh: never a cached entity). */
  async grantPeriods(partnerId: string, merchantId: string): Promise<GrantPeriod[]> {
    if (!isUuid(merchantId)) return [];
    const rows = await this.em.execute<{ granted_position: string; revoked_position: string | null }[]>(
      'select granted_position::text, revoked_position::text from partner_grant where partner_id = ? and merchant_id = ? order by granted_position',
      [partnerId, merchantId],
    );
    return rows.map((row) => ({
      from: BigInt(row.granted_position),
      to: row.revoked_position === null ? null : BigInt(row.revoked_position),
    }));
  }

  private async findPartner(partnerId: string): Promise<Partner> {
    const partner = isUuid(partnerId) ? await this.em.findOne(Partner, { id: partnerId }) : null;
    if (!partner) throw notFound('partner', 'partnerId');
    return partner;
  }

  private recordAudit(actor: MerchantActor, action: string, partnerId: string): Promise<void> {
    return this.audit.record({ merchantId: actor.merchantId, actor, action, targetType: 'partner', targetId: partnerId });
  }
}
