import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { badInput } from '../../domain/errors.js';
import type { AuditService } from '../audit/index.js';
import { recordEvent } from '../outbox/index.js';
import { assertMayAdminister, type MerchantActor } from './actor.js';
import { type Logo, logoDigest, normaliseAccentColor, parseLogo } from './branding.js';
import { parseEmailAddress } from './email-address.js';
import { Merchant } from './merchant.entity.js';
import { MerchantLogo } from './merchant-logo.entity.js';

/** Absent: unchanged. null (or an empty string, for the optional ones): cleared. */
export interface MerchantSettingsChange {
  displayName?: string | null;
  supportEmail?: string | null;
  accentColor?: string | null;
  logo?: string | null;
}

const MAX_DISPLAY_NAME = 120;
const cleared = (value: string | null | undefined) => value === null || (typeof value === 'string' && value.trim() === '');

export class MerchantSettingsService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** Every field is checked before anything is written: one bad field changes nothing. */
  async update(actor: MerchantActor, change: MerchantSettingsChange): Promise<Merchant> {
    assertMayAdminister(actor, 'Changing the merchant settings');
    const next: Partial<Pick<Merchant, 'name' | 'supportEmail' | 'accentColor'>> = {};
    if (change.displayName !== undefined) {
      const name = change.displayName?.trim() ?? '';
      if (!name) throw badInput('displayName', 'displayName must not be empty');
      if (name.length > MAX_DISPLAY_NAME) throw badInput('displayName', `displayName may have at most ${MAX_DISPLAY_NAME} characters`);
      next.name = name;
    }
    if (change.supportEmail !== undefined)
      next.supportEmail = cleared(change.supportEmail) ? null : parseEmailAddress(change.supportEmail!, 'supportEmail');
    if (change.accentColor !== undefined) next.accentColor = cleared(change.accentColor) ? null : normaliseAccentColor(change.accentColor!);
    let logo: Logo | null | undefined;
    if (change.logo !== undefined) logo = cleared(change.logo) ? null : await parseLogo(change.logo!);

    const changed = [...Object.keys(next).map((key) => (key === 'name' ? 'displayName' : key)), ...(logo !== undefined ? ['logo'] : [])];
    const merchant = await this.em.transactional(async (tx) => {
      const found = await tx.findOneOrFail(Merchant, { id: actor.merchantId });
      Object.assign(found, next);
      if (logo === null) {
        await tx.nativeDelete(MerchantLogo, { merchant: found.id });
        Object.assign(found, { logoDigest: null, logoContentType: null });
      } else if (logo) {
        await tx.upsert(MerchantLogo, { merchant: found.id, contentType: logo.contentType, data: logo.data });
        Object.assign(found, { logoDigest: logoDigest(logo.data), logoContentType: logo.contentType });
      }
      recordEvent(
        tx,
        { merchantId: found.id, aggregateType: 'merchant', aggregateId: found.id, type: 'merchant.settings_updated', payload: { changed } },
        this.clock.now(),
      );
      return found;
    });
    await this.audit.record({
      merchantId: actor.merchantId,
      actor,
      action: 'merchant.settings.updated',
      targetType: 'merchant',
      targetId: actor.merchantId,
      details: {
        changed,
        ...next,
        ...(logo ? { logo: { contentType: logo.contentType, bytes: logo.data.length, digest: merchant.logoDigest } } : {}),
      },
    });
    return merchant;
  }
}
