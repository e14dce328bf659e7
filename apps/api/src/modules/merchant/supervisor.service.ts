import type { EntityManager } from '@mikro-orm/postgresql';
import { hash, verify } from '@node-rs/argon2';
import type { Clock } from '../../domain/clock.js';
import { badInput, DomainError, ErrorCode } from '../../domain/errors.js';
import { generateSecret, hashToken } from '../../domain/tokens.js';
import type { AuditService } from '../audit/index.js';
import { recordEvent } from '../outbox/index.js';
import { assertMayAdminister, type MerchantActor, type MerchantCredential, type RequestMeta, staffOf } from './actor.js';
import { type AttemptScope, attemptSucceeded, type PasswordAttemptLimiters, spendAttempt } from './attempt-limiter.js';
import { Merchant } from './merchant.entity.js';
import { assertAcceptablePassword } from './password-policy.js';
import { StaffMember } from './staff-member.entity.js';
import { SupervisorSession } from './supervisor-session.entity.js';

export interface SupervisorGrant {
  token: string;
  expiresAt: Date;
}

export interface SupervisorPolicy {
  tokenTtlSeconds: number;
}

/** The columns that bind a supervisor session to its credential. */
function credentialColumns(credential: MerchantCredential) {
  return credential.kind === 'api_key' ? { apiKey: credential.id } : { staffSession: credential.id };
}

export class SupervisorService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly limiters: PasswordAttemptLimiters,
    private readonly policy: SupervisorPolicy,
    private readonly meta: RequestMeta,
  ) {}

  /**
   * Wrong-password budgets: the credential's own (a staff member's across their sessions, so that
   * signing in again buys no attempts), the client address's within the merchant, and the merchant's.
   * Spent in that order, so that one key or person locks out only themselves, never the whole merchant.
   */
  private scopes(actor: MerchantActor): AttemptScope[] {
    const staff = staffOf(actor);
    const credentialKey = staff ? `staff:${staff.id}` : `key:${actor.credential.id}`;
    return [
      { name: 'credential', key: credentialKey, limiter: this.limiters.supervisorPerCredential, onSuccess: 'reset' },
      {
        name: 'address',
        key: `${actor.merchantId}:${this.meta.ip ?? 'unknown'}`,
        limiter: this.limiters.supervisorPerAddress,
        onSuccess: 'refund',
      },
      { name: 'merchant', key: actor.merchantId, limiter: this.limiters.supervisorPerMerchant, onSuccess: 'refund' },
    ];
  }

  private async spend(actor: MerchantActor, action: string): Promise<AttemptScope[]> {
    const scopes = this.scopes(actor);
    await spendAttempt(scopes, (lockout) =>
      this.audit.record({
        merchantId: actor.merchantId,
        actor,
        action,
        targetType: 'merchant',
        targetId: actor.merchantId,
        details: { ...lockout },
      }),
    );
    return scopes;
  }

  /**
   * Trades a password for a short-lived token bound to the caller's credential. The merchant's
   * supervisor password works for every caller; a SUPERVISOR staff member may also use their own
   * password. Every attempt spends from the budgets above before any password is checked; a correct
   * password gives them back.
   */
  async elevate(actor: MerchantActor, password: string): Promise<SupervisorGrant> {
    const scopes = await this.spend(actor, 'supervisor.elevate.locked');
    const merchant = await this.em.findOneOrFail(Merchant, { id: actor.merchantId });
    const method = await this.passwordMethod(actor, merchant, password);
    if (!method) {
      await this.audit.record({
        merchantId: actor.merchantId,
        actor,
        action: 'supervisor.elevate.failed',
        targetType: 'merchant',
        targetId: actor.merchantId,
      });
      throw new DomainError(ErrorCode.INVALID_SUPERVISOR_PASSWORD, 'The supervisor password is not correct');
    }
    await attemptSucceeded(scopes);

    const token = generateSecret();
    const expiresAt = new Date(this.clock.now().getTime() + this.policy.tokenTtlSeconds * 1000);
    const session = this.em.create(SupervisorSession, {
      merchant: actor.merchantId,
      ...credentialColumns(actor.credential),
      tokenHash: hashToken(token),
      expiresAt,
    });
    await this.em.flush();
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: 'supervisor.elevate.succeeded',
      targetType: 'merchant',
      targetId: actor.merchantId,
      details: { sessionId: session.id, expiresAt: expiresAt.toISOString(), password: method },
    });
    return { token, expiresAt };
  }

  private async passwordMethod(
    actor: MerchantActor,
    merchant: Merchant,
    password: string,
  ): Promise<'supervisor_password' | 'own_password' | null> {
    const staff = staffOf(actor);
    if (staff?.role === 'SUPERVISOR') {
      const member = await this.em.findOne(StaffMember, { id: staff.id, merchant: actor.merchantId });
      if (member?.passwordHash && (await verify(member.passwordHash, password))) return 'own_password';
    }
    return (await verify(merchant.supervisorPasswordHash, password)) ? 'supervisor_password' : null;
  }

  /**
   * Changes the supervisor password: the current one is checked against the same budgets as an
   * elevation (a wrong one costs an attempt), and every supervisor session of the merchant ends.
   */
  async changePassword(actor: MerchantActor, currentPassword: string, newPassword: string): Promise<void> {
    assertMayAdminister(actor, 'Changing the supervisor password');
    assertAcceptablePassword(newPassword, 'newPassword');
    if (newPassword === currentPassword) throw badInput('newPassword', 'The new password must differ from the current one');
    const scopes = await this.spend(actor, 'supervisor.password.change.locked');
    const merchant = await this.em.findOneOrFail(Merchant, { id: actor.merchantId });
    if (!(await verify(merchant.supervisorPasswordHash, currentPassword))) {
      await this.audit.record({
        merchantId: actor.merchantId,
        actor,
        action: 'supervisor.password.change.failed',
        targetType: 'merchant',
        targetId: actor.merchantId,
      });
      throw new DomainError(ErrorCode.INVALID_SUPERVISOR_PASSWORD, 'The current supervisor password is not correct', {
        field: 'currentPassword',
      });
    }
    await attemptSucceeded(scopes);
    const ended = await replaceSupervisorPassword(this.em, this.clock, actor.merchantId, newPassword);
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: 'supervisor.password.changed',
      targetType: 'merchant',
      targetId: actor.merchantId,
      details: { supervisorSessionsEnded: ended },
    });
  }

  /** The live session for a token: unknown, expired, ended, another merchant's or another credential's answer null. */
  async findLiveSession(actor: MerchantActor, token: string): Promise<SupervisorSession | null> {
    return this.em.findOne(SupervisorSession, {
      tokenHash: hashToken(token),
      merchant: actor.merchantId,
      ...credentialColumns(actor.credential),
      expiresAt: { $gt: this.clock.now() },
      endedAt: null,
    });
  }
}

/** Stores a new supervisor password and ends every supervisor session of the merchant; returns how many ended. */
export async function replaceSupervisorPassword(em: EntityManager, clock: Clock, merchantId: string, newPassword: string): Promise<number> {
  const passwordHash = await hash(newPassword);
  return em.transactional(async (tx) => {
    const now = clock.now();
    await tx.nativeUpdate(Merchant, { id: merchantId }, { supervisorPasswordHash: passwordHash, updatedAt: now });
    const ended = await endSupervisorSessions(tx, { merchant: merchantId }, now);
    recordEvent(
      tx,
      {
        merchantId,
        aggregateType: 'merchant',
        aggregateId: merchantId,
        type: 'merchant.supervisor_password_changed',
        payload: { supervisorSessionsEnded: ended },
      },
      now,
    );
    return ended;
  });
}

/** Ends the live supervisor sessions matching `where` (a credential's, or a merchant's), in the caller's transaction. */
export async function endSupervisorSessions(
  tx: EntityManager,
  where: { merchant: string } | { apiKey: string } | { staffSession: string | { $in: string[] } },
  now: Date,
): Promise<number> {
  return tx.nativeUpdate(SupervisorSession, { ...where, endedAt: null, expiresAt: { $gt: now } }, { endedAt: now });
}

/**
 * What an audit row keeps of a supervised call's arguments: ids as they are, anything else by name
 * only (a token argument may hold whatever a user pasted, a card number included).
 */
function auditableArgs(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([name, value]) => [name, /^(id|.+Id)$/.test(name) ? value : '[not recorded]']));
}

/**
 * The per-request check behind the `@supervisor` directive. The session is looked up once per
 * request; each supervised field that runs is audited with its arguments.
 */
export class SupervisorGate {
  private session?: Promise<SupervisorSession | null>;
  private readonly audited = new Set<string>();

  constructor(
    private readonly actor: MerchantActor | null,
    private readonly token: string | undefined,
    private readonly supervisor: SupervisorService | null,
    private readonly audit: AuditService | null,
  ) {}

  async authorize(coordinate: string, args: Record<string, unknown>): Promise<void> {
    if (!this.actor || !this.supervisor || !this.audit) {
      throw new DomainError(ErrorCode.SUPERVISOR_REQUIRED, `${coordinate} needs a supervisor elevation`);
    }
    if (!this.token) {
      throw new DomainError(
        ErrorCode.SUPERVISOR_REQUIRED,
        `${coordinate} needs a supervisor elevation: call elevateSupervisor and send its token as X-Supervisor-Token`,
      );
    }
    this.session ??= this.supervisor.findLiveSession(this.actor, this.token);
    const session = await this.session;
    if (!session) {
      throw new DomainError(
        ErrorCode.SUPERVISOR_REQUIRED,
        'The supervisor token is invalid, has expired or belongs to another credential: elevate again',
      );
    }
    const auditKey = `${coordinate}:${JSON.stringify(args)}`;
    if (this.audited.has(auditKey)) return;
    this.audited.add(auditKey);
    await this.audit.record({
      merchantId: this.actor.merchantId,
      actor: this.actor,
      action: 'supervisor.access',
      targetType: 'field',
      targetId: coordinate,
      details: { args: auditableArgs(args), supervisorSessionId: session.id },
    });
  }
}
