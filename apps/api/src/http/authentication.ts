import { GraphQLError } from 'graphql';
import { ErrorCode } from '../domain/errors.js';
import type { MerchantActor } from '../modules/merchant/actor.js';
import type { PartnerActor } from '../modules/partner/partner-actor.js';
import { PARTNER_KEY_PREFIX } from '../modules/partner/partner-api-key.service.js';
import type { Services } from '../services.js';

/** Who holds the key: a merchant (the whole merchant schema) or a partner (the payment status subscription only). */
export type Caller = { kind: 'merchant'; actor: MerchantActor } | { kind: 'partner'; partner: PartnerActor };

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}

export function partnerKeyOverHttp(): GraphQLError {
  return new GraphQLError('A partner key can only subscribe to paymentStatusChanged, over graphql-ws on this path', {
    extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } },
  });
}

export function bearerKey(authorization: unknown): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return match?.[1];
}

/** Resolves a key of either kind; null for anything unknown, malformed or revoked. */
export async function authenticateCaller(key: string | undefined, services: Pick<Services, 'apiKeys' | 'partnerKeys'>): Promise<Caller | null> {
  if (!key) return null;
  if (key.startsWith(PARTNER_KEY_PREFIX)) {
    const partner = await services.partnerKeys.authenticate(key);
    return partner && { kind: 'partner', partner };
  }
  const actor = await services.apiKeys.authenticate(key);
  return actor && { kind: 'merchant', actor };
}
