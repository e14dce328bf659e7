import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { hash, verify } from '@node-rs/argon2';
import type { Clock } from '../../domain/clock.js';
import { DomainError, ErrorCode } from '../../domain/errors.js';
import { generateSecret, hashToken, isUuid } from '../../domain/tokens.js';
import { passwordVerificationsTotal } from '../../kit/metrics.js';
import type { Settings } from '../../kit/settings.js';
import type { AuditService } from '../audit/index.js';
import { recordEvent } from '../outbox/index.js';
import { type MerchantActor, type RequestMeta, staffOf, staffSessionActor } from './actor.js';
import { type AttemptScope, attemptSucceeded, type PasswordAttemptLimiters, spendAttempt } from './attempt-limiter.js';
import { assertAcceptablePassword, MAX_PASSWORD_LENGTH } from './password-policy.js';
import { StaffMember } from './staff-member.entity.js';
import { StaffSession } from './staff-session.entity.js';
import { endSupervisorSessions } from './supervisor.service.js';

/** Session tokens are sent like API keys (`Authorization: Bearer kps_…`); the prefix tells them apart. */
export const STAFF_SESSION_PREFIX = 'kps_';
const SESSION_PATTERN = /^kps_[A-Za-z0-9_-]{43}$/;
const INVITATION_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Writing last_seen_at on every request would make every read a write; the idle limit is counted in minutes. */
const LAST_SEEN_RESOLUTION_MS = 60_000;
/** One email may have accounts at a few merchants; sign-in checks the password against each. */
const MAX_ACCOUNTS_PER_EMAIL = 10;

export interface StaffSignIn {
  token: string;
  /** The absolute limit; the session also ends after `idleTimeoutSeconds` without a request. */
  expiresAt: Date;
  idleTimeoutSeconds: number;
  staffMember: StaffMember;
}

export interface SignInInput {
  email: string;
  password: string;
  merchantId?: string | null;
}

const invalidCredentials = () => new DomainError(ErrorCode.INVALID_CREDENTIALS, 'The email or password is not correct');
const invalidInvitation = () =>
  new DomainError(ErrorCode.INVITATION_INVALID, 'This invitation link is not valid any more: ask for a new invitation');

/**
 * A hash of a password no one has, verified when the email matches no account: an unknown email then
 * costs what a wrong password costs, so the answer's timing does not tell which emails have accounts.
 */
let dummyHash: Promise<string> | undefined;
export const unknownAccountHash = () => (dummyHash ??= hash(generateSecret(24)));

/** A sign-in's argon2 check, counted by what it was checked against (a surge of decoys is someone trying emails). */
function checkPassword(against: 'account' | 'decoy', encoded: string, password: string): Promise<boolean> {
  passwordVerificationsTotal.inc({ against });
  return verify(encoded, password);
}

/** Sign-in, invitations and console sessions. */
export class StaffSessionService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly settings: Settings,
    private readonly audit: AuditService,
    private readonly limiters: PasswordAttemptLimiters,
    private readonly meta: RequestMeta,
  ) {}

  private get idleMs(): number {
    return this.settings.staffSessionIdleMinutes * 60_000;
  }

  /** Wrong passwords per email (any merchant) and per client address, spent before any password is checked. */
  private scopes(email: string): AttemptScope[] {
    return [
      // No email is longer than 254 characters; a longer guess (it can be kilobytes) is keyed by its digest, to fit the limiter's key.
      {
        name: 'email',
        key: email.length <= 254 ? email : `sha256:${createHash('sha256').update(email).digest('hex')}`,
        limiter: this.limiters.signInPerEmail,
        onSuccess: 'reset',
      },
      { name: 'address', key: this.meta.ip ?? 'unknown', limiter: this.limiters.signInPerAddress, onSuccess: 'refund' },
    ];
  }

  /**
   * Email and password for a session. An unknown email and a wrong password get the same answer
   * (INVALID_CREDENTIALS) in about the same time. The email may have accounts at several merchants:
   * the password picks the account; if it opens several, MERCHANT_CHOICE_REQUIRED lists their
   * merchants (the caller has just proved the password for each) and `merchantId` chooses.
   */
  async signIn(input: SignInInput): Promise<StaffSignIn> {
    const email = input.email.trim().toLowerCase();
    await spendAttempt(this.scopes(email), (lockout) => this.auditForEmail(email, 'staff.sign_in.locked', { ...lockout }));
    const merchantFilter = input.merchantId ? (isUuid(input.merchantId) ? { merchant: input.merchantId } : { id: null }) : {};
    const candidates =
      email.length <= 254
        ? await this.em.find(
            StaffMember,
            { email, passwordHash: { $ne: null }, ...merchantFilter },
            { populate: ['merchant'], limit: MAX_ACCOUNTS_PER_EMAIL },
          )
        : [];
    const tooLong = input.password.length > MAX_PASSWORD_LENGTH;
    const matches: StaffMember[] = [];
    if (!candidates.length || tooLong) {
      await checkPassword('decoy', await unknownAccountHash(), tooLong ? '' : input.password);
    } else {
      for (const member of candidates) {
        if (await checkPassword('account', member.passwordHash!, input.password)) matches.push(member);
      }
    }

    if (!matches.length) {
      for (const member of candidates) {
        await this.audit.record({
          merchantId: member.merchant.id,
          actorType: 'anonymous',
          actorName: email,
          action: 'staff.sign_in.failed',
          targetType: 'staff_member',
          targetId: member.id,
        });
      }
      throw invalidCredentials();
    }
    await attemptSucceeded(this.scopes(email));
    if (matches.length > 1) {
      throw new DomainError(
        ErrorCode.MERCHANT_CHOICE_REQUIRED,
        'This email and password open accounts at several merchants: sign in again with merchantId',
        {
          field: 'merchantId',
          merchants: matches.map((member) => ({ id: member.merchant.id, name: member.merchant.name })),
        },
      );
    }
    return this.startSession(matches[0], 'staff.signed_in');
  }

  /** Sets the password from an invitation link (once) and signs the person in. */
  async acceptInvitation(token: string, password: string): Promise<StaffSignIn> {
    if (!INVITATION_PATTERN.test(token)) throw invalidInvitation();
    const member = await this.em.findOne(StaffMember, { invitationTokenHash: hashToken(token) }, { populate: ['merchant'] });
    if (!member?.invitationExpiresAt || member.invitationExpiresAt <= this.clock.now()) throw invalidInvitation();
    assertAcceptablePassword(password, 'password', { email: member.email });
    const passwordHash = await hash(password);
    const now = this.clock.now();
    // Single use, even when two requests race with the same link: only one update finds the token.
    const claimed = await this.em.nativeUpdate(
      StaffMember,
      { id: member.id, invitationTokenHash: hashToken(token) },
      { passwordHash, passwordChangedAt: now, invitationTokenHash: null, invitationExpiresAt: null },
    );
    if (claimed !== 1) throw invalidInvitation();
    await this.em.refresh(member);
    return this.startSession(member, 'staff.invitation.accepted');
  }

  private async startSession(member: StaffMember, action: string): Promise<StaffSignIn> {
    const token = `${STAFF_SESSION_PREFIX}${generateSecret(32)}`;
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.settings.staffSessionMaxHours * 3_600_000);
    const session = await this.em.transactional(async (tx) => {
      const created = tx.create(StaffSession, {
        merchant: member.merchant.id,
        staffMember: member.id,
        tokenHash: hashToken(token),
        createdAt: now,
        lastSeenAt: now,
        expiresAt,
        ip: this.meta.ip ?? null,
        userAgent: this.meta.userAgent?.slice(0, 500) ?? null,
      });
      await tx.nativeUpdate(StaffMember, { id: member.id }, { lastSignInAt: now });
      recordEvent(
        tx,
        {
          merchantId: member.merchant.id,
          aggregateType: 'staff_session',
          aggregateId: created.id,
          type: 'staff_session.started',
          payload: { staffMemberId: member.id },
        },
        now,
      );
      return created;
    });
    member.lastSignInAt = now;
    const actor = staffSessionActor(member.merchant.id, session.id, {
      id: member.id,
      name: member.name,
      email: member.email,
      role: member.role,
    });
    await this.audit.record({ merchantId: member.merchant.id, actor, action, targetType: 'staff_session', targetId: session.id });
    return { token, expiresAt, idleTimeoutSeconds: this.idleMs / 1000, staffMember: member };
  }

  /** Resolves a session token to its merchant and person; null once it is unknown, ended, idle too long or past its limit. */
  async authenticate(token: string): Promise<MerchantActor | null> {
    if (!SESSION_PATTERN.test(token)) return null;
    const session = await this.em.findOne(StaffSession, { tokenHash: hashToken(token), endedAt: null }, { populate: ['staffMember'] });
    if (!session) return null;
    const now = this.clock.now();
    if (now >= session.expiresAt || now.getTime() - session.lastSeenAt.getTime() >= this.idleMs) return null;
    if (now.getTime() - session.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
      await this.em.nativeUpdate(StaffSession, { id: session.id }, { lastSeenAt: now });
    }
    const member = session.staffMember;
    return staffSessionActor(session.merchant.id, session.id, { id: member.id, name: member.name, email: member.email, role: member.role });
  }

  async session(actor: MerchantActor): Promise<StaffSession | null> {
    return actor.credential.kind === 'staff_session' ? this.em.findOne(StaffSession, { id: actor.credential.id }) : null;
  }

  /** The calling session's own end (its supervisor elevations end with it). */
  async signOut(actor: MerchantActor): Promise<void> {
    const staff = staffOf(actor);
    if (!staff) throw new DomainError(ErrorCode.FORBIDDEN, 'signOut ends a staff session; an API key is revoked by the operator instead');
    await this.endSessions(actor.merchantId, [actor.credential.id], 'signed_out');
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: 'staff.signed_out',
      targetType: 'staff_session',
      targetId: actor.credential.id,
    });
  }

  /**
   * A person's own password. The current one is checked against the sign-in budgets of their email;
   * every other session of theirs ends (a password change is how someone throws out a stolen session).
   */
  async changeOwnPassword(actor: MerchantActor, currentPassword: string, newPassword: string): Promise<void> {
    const staff = staffOf(actor);
    if (!staff) throw new DomainError(ErrorCode.FORBIDDEN, 'Only a signed-in staff member has a password to change');
    assertAcceptablePassword(newPassword, 'newPassword', { email: staff.email });
    if (newPassword === currentPassword)
      throw new DomainError(ErrorCode.BAD_USER_INPUT, 'The new password must differ from the current one', { field: 'newPassword' });
    const scopes = this.scopes(staff.email);
    await spendAttempt(scopes, (lockout) =>
      this.audit.record({
        merchantId: actor.merchantId,
        actor,
        action: 'staff.password.change.locked',
        targetType: 'staff_member',
        targetId: staff.id,
        details: { ...lockout },
      }),
    );
    const member = await this.em.findOneOrFail(StaffMember, { id: staff.id, merchant: actor.merchantId });
    if (currentPassword.length > MAX_PASSWORD_LENGTH || !member.passwordHash || !(await verify(member.passwordHash, currentPassword))) {
      await this.audit.record({
        merchantId: actor.merchantId,
        actor,
        action: 'staff.password.change.failed',
        targetType: 'staff_member',
        targetId: staff.id,
      });
      throw new DomainError(ErrorCode.INVALID_CREDENTIALS, 'The current password is not correct', { field: 'currentPassword' });
    }
    await attemptSucceeded(scopes);
    const passwordHash = await hash(newPassword);
    await this.em.nativeUpdate(StaffMember, { id: staff.id }, { passwordHash, passwordChangedAt: this.clock.now() });
    const others = await this.em.find(
      StaffSession,
      { staffMember: staff.id, endedAt: null, id: { $ne: actor.credential.id } },
      { fields: ['id'] },
    );
    await this.endSessions(
      actor.merchantId,
      others.map((s) => s.id),
      'password_changed',
    );
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: 'staff.password.changed',
      targetType: 'staff_member',
      targetId: staff.id,
      details: { otherSessionsEnded: others.length },
    });
  }

  private async endSessions(merchantId: string, ids: string[], reason: 'signed_out' | 'password_changed'): Promise<void> {
    if (!ids.length) return;
    await this.em.transactional(async (tx) => {
      const now = this.clock.now();
      await tx.nativeUpdate(StaffSession, { id: { $in: ids }, endedAt: null }, { endedAt: now, endReason: reason });
      await endSupervisorSessions(tx, { staffSession: { $in: ids } }, now);
      for (const id of ids)
        recordEvent(
          tx,
          { merchantId, aggregateType: 'staff_session', aggregateId: id, type: 'staff_session.ended', payload: { reason } },
          now,
        );
    });
  }

  /** Sign-in events of an email, written into the audit log of each merchant where it has an account. */
  private async auditForEmail(email: string, action: string, details: Record<string, unknown>): Promise<void> {
    const members =
      email.length <= 254 ? await this.em.find(StaffMember, { email }, { limit: MAX_ACCOUNTS_PER_EMAIL, fields: ['id', 'merchant'] }) : [];
    for (const member of members) {
      await this.audit.record({
        merchantId: member.merchant.id,
        actorType: 'anonymous',
        actorName: email,
        action,
        targetType: 'staff_member',
        targetId: member.id,
        details: { ...details, address: this.meta.ip ?? null },
      });
    }
  }
}
