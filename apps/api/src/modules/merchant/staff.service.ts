import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { hash } from '@node-rs/argon2';
import type { Clock } from '../../domain/clock.js';
import { badInput, DomainError, ErrorCode, notFound } from '../../domain/errors.js';
import { generateSecret, hashToken, isUuid } from '../../domain/tokens.js';
import type { Settings } from '../../kit/settings.js';
import type { AuditService } from '../audit/index.js';
import { queueEmail } from '../email/index.js';
import { recordEvent } from '../outbox/index.js';
import { assertMayAdminister, type MerchantActor, staffOf } from './actor.js';
import { parseEmailAddress } from './email-address.js';
import { Merchant } from './merchant.entity.js';
import { assertAcceptablePassword } from './password-policy.js';
import { StaffMember, StaffRole } from './staff-member.entity.js';
import { StaffSession } from './staff-session.entity.js';

export interface NewStaffMember {
  name: string;
  email: string;
  role: StaffRole;
}

const MAX_NAME = 200;

function parseName(input: string): string {
  const name = input.trim();
  if (!name) throw badInput('name', 'name must not be empty');
  if (name.length > MAX_NAME) throw badInput('name', `name may have at most ${MAX_NAME} characters`);
  return name;
}

const duplicate = () => new DomainError(ErrorCode.DUPLICATE, 'A staff member with this email already exists', { field: 'email' });

/** A merchant's people: invitations, the operator's accounts, removal. Sign-in lives in StaffSessionService. */
export class StaffService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly settings: Settings,
    private readonly audit: AuditService,
  ) {}

  async find(actor: MerchantActor, id: string): Promise<StaffMember | null> {
    return isUuid(id) ? this.em.findOne(StaffMember, { id, merchant: actor.merchantId }) : null;
  }

  async list(actor: MerchantActor): Promise<StaffMember[]> {
    return this.em.find(StaffMember, { merchant: actor.merchantId }, { orderBy: { name: 'asc', id: 'asc' } });
  }

  /**
   * Invites a person by email: a single-use link to the console's set-password page. Inviting an email
   * whose invitation is still pending sends a fresh link (the old one stops working) with the new name
   * and role; an email that already has an account answers DUPLICATE.
   */
  async invite(actor: MerchantActor, input: NewStaffMember): Promise<StaffMember> {
    assertMayAdminister(actor, 'Inviting staff');
    const name = parseName(input.name);
    const email = parseEmailAddress(input.email, 'email');
    const token = generateSecret(32);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.settings.staffInvitationTtlHours * 3_600_000);

    const { member, resent } = await this.em.transactional(async (tx) => {
      const merchant = await tx.findOneOrFail(Merchant, { id: actor.merchantId });
      let member = await tx.findOne(StaffMember, { merchant, email });
      if (member?.passwordHash) throw duplicate();
      const resent = Boolean(member);
      member ??= tx.create(StaffMember, { merchant, email, name, role: input.role, createdAt: now });
      Object.assign(member, { name, role: input.role, invitationTokenHash: hashToken(token), invitationExpiresAt: expiresAt });
      await queueEmail(
        tx,
        {
          merchantId: merchant.id,
          audience: 'staff',
          to: email,
          template: 'staff-invitation',
          data: {
            merchantName: merchant.name,
            staffName: name,
            role: input.role,
            invitedBy: staffOf(actor)?.name ?? null,
            acceptUrl: `${this.settings.consoleUrl}/invitations/${token}`,
            expiresAt: expiresAt.toISOString(),
          },
          related: { type: 'staff_member', id: member.id },
        },
        now,
      );
      recordEvent(
        tx,
        {
          merchantId: merchant.id,
          aggregateType: 'staff_member',
          aggregateId: member.id,
          type: resent ? 'staff_member.invitation_resent' : 'staff_member.invited',
          payload: { role: input.role },
        },
        now,
      );
      try {
        await tx.flush();
      } catch (error) {
        // Two invitations of one email at once: the unique (merchant, email) index decides.
        if (error instanceof UniqueConstraintViolationException) throw duplicate();
        throw error;
      }
      return { member, resent };
    });
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: resent ? 'staff.invitation.resent' : 'staff.invited',
      targetType: 'staff_member',
      targetId: member.id,
      details: { name, email, role: input.role, expiresAt: expiresAt.toISOString() },
    });
    return member;
  }

  /** The operator CLI: an account with its password at once (the password came from standard input). */
  async createWithPassword(merchantId: string, input: NewStaffMember & { password: string }): Promise<StaffMember> {
    if (!isUuid(merchantId) || !(await this.em.findOne(Merchant, { id: merchantId })))
      throw badInput('merchant', `No merchant with id ${merchantId}`);
    const name = parseName(input.name);
    const email = parseEmailAddress(input.email, 'email');
    if (!Object.values(StaffRole).includes(input.role)) throw badInput('role', 'role must be SUPERVISOR or STAFF');
    assertAcceptablePassword(input.password, 'password', { email });
    const passwordHash = await hash(input.password);
    const now = this.clock.now();
    const member = await this.em.transactional(async (tx) => {
      const created = tx.create(StaffMember, {
        merchant: merchantId,
        email,
        name,
        role: input.role,
        passwordHash,
        passwordChangedAt: now,
        createdAt: now,
      });
      recordEvent(
        tx,
        { merchantId, aggregateType: 'staff_member', aggregateId: created.id, type: 'staff_member.created', payload: { role: input.role } },
        now,
      );
      try {
        await tx.flush();
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) throw duplicate();
        throw error;
      }
      return created;
    });
    await this.audit.record({
      merchantId,
      actorType: 'operator',
      action: 'staff.created',
      targetType: 'staff_member',
      targetId: member.id,
      details: { name, email, role: input.role },
    });
    return member;
  }

  /** Removes a person: their sessions end at once (and with them their supervisor elevations). */
  async remove(actor: MerchantActor, id: string): Promise<void> {
    assertMayAdminister(actor, 'Removing staff');
    if (staffOf(actor)?.id === id) throw badInput('id', 'You cannot remove yourself; ask another supervisor');
    const member = isUuid(id) ? await this.em.findOne(StaffMember, { id, merchant: actor.merchantId }) : null;
    if (!member) throw notFound('staff member', 'id');
    const details = { name: member.name, email: member.email, role: member.role };
    await this.em.transactional(async (tx) => {
      const now = this.clock.now();
      const live = await tx.find(StaffSession, { staffMember: member.id, endedAt: null }, { fields: ['id'] });
      for (const session of live) {
        recordEvent(
          tx,
          {
            merchantId: actor.merchantId,
            aggregateType: 'staff_session',
            aggregateId: session.id,
            type: 'staff_session.ended',
            payload: { reason: 'removed' },
          },
          now,
        );
      }
      // Sessions and their supervisor sessions go with the row (on delete cascade).
      await tx.nativeDelete(StaffMember, { id: member.id });
      recordEvent(
        tx,
        { merchantId: actor.merchantId, aggregateType: 'staff_member', aggregateId: member.id, type: 'staff_member.removed', payload: {} },
        now,
      );
    });
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: 'staff.removed',
      targetType: 'staff_member',
      targetId: member.id,
      details,
    });
  }
}
