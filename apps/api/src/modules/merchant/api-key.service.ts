import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { badInput } from '../../domain/errors.js';
import { generateSecret, hashToken } from '../../domain/tokens.js';
import type { AuditService } from '../audit/index.js';
import { recordEvent } from '../outbox/index.js';
import { apiKeyActor, type MerchantActor } from './actor.js';
import { ApiKey } from './api-key.entity.js';
import { Merchant } from './merchant.entity.js';
import { endSupervisorSessions } from './supervisor.service.js';

const KEY_PATTERN = /^kp_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/;
/** Writing last_used_at on every request would make every read a write; once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface IssuedApiKey {
  apiKey: ApiKey;
  /** The secret, shown once: only its hash is stored. */
  key: string;
}

export class ApiKeyService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async issue(merchantId: string, label = 'default'): Promise<IssuedApiKey> {
    const merchant = await this.em.findOne(Merchant, { id: merchantId });
    if (!merchant) throw badInput('merchant', `No merchant with id ${merchantId}`);
    const prefix = `kp_${generateSecret(6)}`;
    const key = `${prefix}_${generateSecret(32)}`;
    const apiKey = this.em.create(ApiKey, { merchant, prefix, tokenHash: hashToken(key), label });
    await this.em.flush();
    await this.audit.record({
      merchantId,
      actorType: 'operator',
      action: 'api_key.created',
      targetType: 'api_key',
      targetId: apiKey.id,
      details: { prefix, label },
    });
    return { apiKey, key };
  }

  /**
   * Refuses the key from now on, and ends the supervisor sessions it obtained; the event also ends the
   * subscriptions it opened (PaymentEventService).
   */
  async revoke(merchantId: string, prefix: string): Promise<ApiKey> {
    const apiKey = await this.em.transactional(async (tx) => {
      const found = await tx.findOne(ApiKey, { prefix, merchant: merchantId });
      if (!found) throw badInput('prefix', `No API key ${prefix} for merchant ${merchantId}`);
      if (found.revokedAt) return found;
      const now = this.clock.now();
      found.revokedAt = now;
      await endSupervisorSessions(tx, { apiKey: found.id }, now);
      recordEvent(tx, { merchantId, aggregateType: 'api_key', aggregateId: found.id, type: 'api_key.revoked', payload: { prefix } }, now);
      return found;
    });
    await this.audit.record({
      merchantId,
      actorType: 'operator',
      action: 'api_key.revoked',
      targetType: 'api_key',
      targetId: apiKey.id,
      details: { prefix },
    });
    return apiKey;
  }

  /** Resolves a bearer key to its merchant; null for anything unknown, malformed or revoked. */
  async authenticate(key: string): Promise<MerchantActor | null> {
    if (!KEY_PATTERN.test(key)) return null;
    const apiKey = await this.em.findOne(ApiKey, { tokenHash: hashToken(key), revokedAt: null });
    if (!apiKey) return null;
    const now = this.clock.now();
    if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.em.nativeUpdate(ApiKey, { id: apiKey.id }, { lastUsedAt: now });
    }
    return apiKeyActor(apiKey.merchant.id, apiKey);
  }
}
