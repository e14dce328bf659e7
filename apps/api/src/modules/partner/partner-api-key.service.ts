import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { badInput } from '../../domain/errors.js';
import { generateSecret, hashToken, isUuid } from '../../domain/tokens.js';
import { recordEvent } from '../outbox/index.js';
import { Partner } from './partner.entity.js';
import type { PartnerActor } from './partner-actor.js';
import { PartnerApiKey } from './partner-api-key.entity.js';
import { PartnerGrant } from './partner-grant.entity.js';

export const PARTNER_KEY_PREFIX = 'kpp_';
const KEY_PATTERN = /^kpp_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/;
/** Writing last_used_at on every connection would make every read a write; once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface IssuedPartnerKey {
  apiKey: PartnerApiKey;
  /** The secret, shown once: only its hash is stored. */
  key: string;
}

/** Partner API keys: the merchant key scheme (256 random bits, SHA-256 stored, readable prefix) under `kpp_`. */
export class PartnerApiKeyService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  async issue(partnerId: string, label = 'default'): Promise<IssuedPartnerKey> {
    const partner = isUuid(partnerId) ? await this.em.findOne(Partner, { id: partnerId }) : null;
    if (!partner) throw badInput('partner', `No partner with id ${partnerId}`);
    const prefix = `${PARTNER_KEY_PREFIX}${generateSecret(6)}`;
    const key = `${prefix}_${generateSecret(32)}`;
    const apiKey = this.em.create(PartnerApiKey, { partner, prefix, tokenHash: hashToken(key), label });
    await this.em.flush();
    return { apiKey, key };
  }

  /**
   * Refuses the key from now on. The outbox is read per merchant, so the revocation is one event for
   * each merchant the partner follows: each ends the streams this key opened on that merchant.
   */
  async revoke(partnerId: string, prefix: string): Promise<PartnerApiKey> {
    return this.em.transactional(async (tx) => {
      const apiKey = isUuid(partnerId) ? await tx.findOne(PartnerApiKey, { prefix, partner: partnerId }) : null;
      if (!apiKey) throw badInput('prefix', `No API key ${prefix} for partner ${partnerId}`);
      if (apiKey.revokedAt) return apiKey;
      const now = this.clock.now();
      apiKey.revokedAt = now;
      for (const grant of await tx.find(PartnerGrant, { partner: partnerId, revokedAt: null })) {
        recordEvent(
          tx,
          {
            merchantId: grant.merchant.id,
            aggregateType: 'partner_api_key',
            aggregateId: apiKey.id,
            type: 'partner_api_key.revoked',
            payload: { partnerId, prefix },
          },
          now,
        );
      }
      return apiKey;
    });
  }

  /** Resolves a bearer key to its partner; null for anything unknown, malformed or revoked. */
  async authenticate(key: string): Promise<PartnerActor | null> {
    if (!KEY_PATTERN.test(key)) return null;
    const apiKey = await this.em.findOne(PartnerApiKey, { tokenHash: hashToken(key), revokedAt: null });
    if (!apiKey) return null;
    const now = this.clock.now();
    if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.em.nativeUpdate(PartnerApiKey, { id: apiKey.id }, { lastUsedAt: now });
    }
    return { partnerId: apiKey.partner.id, apiKeyId: apiKey.id, apiKeyPrefix: apiKey.prefix };
  }
}
