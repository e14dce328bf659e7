import { verify } from '@node-rs/argon2';
import type { EntityManager } from '@mikro-orm/postgresql';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Clock } from '../../domain/clock.js';
import { DomainError, ErrorCode } from '../../domain/errors.js';
import { generateSecret, hashToken } from '../../domain/tokens.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MerchantActor } from './actor.js';
import { Merchant } from './merchant.entity.js';
import { SupervisorSession } from './supervisor-session.entity.js';

export interface SupervisorGrant {
  token: string;
  expiresAt: Date;
}

export interface SupervisorPolicy {
  tokenTtlSeconds: number;
}

export class SupervisorService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly attempts: RateLimiterAbstract,
    private readonly policy: SupervisorPolicy,
  ) {}

  /**
   * Trades the supervisor password for a short-lived token. Every attempt spends a point of the
   * merchant's budget before the password is checked, so concurrent guesses cannot slip past the
   * limit; a correct password gives the budget back.
   */
  async elevate(actor: MerchantActor, password: string): Promise<SupervisorGrant> {
    const limiterKey = `supervisor:${actor.merchantId}`;
    const auditBase = { merchantId: actor.merchantId, actorType: 'api_key' as const, actorId: actor.apiKeyId, targetType: 'merchant', targetId: actor.merchantId };
    try {
      await this.attempts.consume(limiterKey);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfterSeconds = Math.ceil(rejection.msBeforeNext / 1000);
      await this.audit.record({ ...auditBase, action: 'supervisor.elevate.blocked', details: { retryAfterSeconds } });
      throw new DomainError(ErrorCode.TOO_MANY_ATTEMPTS, `Too many supervisor password attempts; try again in ${retryAfterSeconds} seconds`, { retryAfterSeconds });
    }

    const merchant = await this.em.findOneOrFail(Merchant, { id: actor.merchantId });
    if (!(await verify(merchant.supervisorPasswordHash, password))) {
      await this.audit.record({ ...auditBase, action: 'supervisor.elevate.failed' });
      throw new DomainError(ErrorCode.INVALID_SUPERVISOR_PASSWORD, 'The supervisor password is not correct');
    }

    await this.attempts.delete(limiterKey);
    const token = generateSecret();
    const expiresAt = new Date(this.clock.now().getTime() + this.policy.tokenTtlSeconds * 1000);
    const session = this.em.create(SupervisorSession, { merchant: actor.merchantId, apiKey: actor.apiKeyId, tokenHash: hashToken(token), expiresAt });
    await this.em.flush();
    await this.audit.record({ ...auditBase, action: 'supervisor.elevate.succeeded', details: { sessionId: session.id, expiresAt: expiresAt.toISOString() } });
    return { token, expiresAt };
  }

  /** The live session for a token, or null when unknown, expired or another merchant's. */
  async findLiveSession(actor: MerchantActor, token: string): Promise<SupervisorSession | null> {
    return this.em.findOne(SupervisorSession, {
      tokenHash: hashToken(token),
      merchant: actor.merchantId,
      expiresAt: { $gt: this.clock.now() },
    });
  }
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
      throw new DomainError(ErrorCode.SUPERVISOR_REQUIRED, `${coordinate} needs a supervisor elevation: call elevateSupervisor and send its token as X-Supervisor-Token`);
    }
    this.session ??= this.supervisor.findLiveSession(this.actor, this.token);
    const session = await this.session;
    if (!session) {
      throw new DomainError(ErrorCode.SUPERVISOR_REQUIRED, 'The supervisor token is invalid or has expired: elevate again');
    }
    const auditKey = `${coordinate}:${JSON.stringify(args)}`;
    if (this.audited.has(auditKey)) return;
    this.audited.add(auditKey);
    await this.audit.record({
      merchantId: this.actor.merchantId,
      actorType: 'supervisor_session',
      actorId: session.id,
      action: 'supervisor.access',
      targetType: 'field',
      targetId: coordinate,
      details: { args: auditableArgs(args), apiKeyId: this.actor.apiKeyId },
    });
  }
}
