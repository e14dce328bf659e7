import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../domain/errors.js';
import { type MerchantActor, STAFF_SESSION_PREFIX } from '../../modules/merchant/index.js';
import { PARTNER_KEY_PREFIX, type PartnerActor } from '../../modules/partner/index.js';
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

/**
 * Resolves a bearer credential, told apart by its prefix: a partner key (kpp_), a staff member's console
 * session (kps_, acting for its merchant like an API key), or a merchant API key (kp_). Null for
 * anything unknown, malformed, revoked or expired.
 */
export async function authenticateCaller(
  key: string | undefined,
  services: Pick<Services, 'apiKeys' | 'partnerKeys' | 'staffSessions'>,
): Promise<Caller | null> {
  if (!key) return null;
  if (key.startsWith(PARTNER_KEY_PREFIX)) {
    const partner = await services.partnerKeys.authenticate(key);
    return partner && { kind: 'partner', partner };
  }
  const actor = key.startsWith(STAFF_SESSION_PREFIX)
    ? await services.staffSessions.authenticate(key)
    : await services.apiKeys.authenticate(key);
  return actor && { kind: 'merchant', actor };
}

/** The caller of the merchant schema over HTTP: a merchant key or staff session, or a coded 401/403. */
export async function authenticateMerchant(
  key: string | undefined,
  services: Pick<Services, 'apiKeys' | 'partnerKeys' | 'staffSessions'>,
): Promise<MerchantActor> {
  if (!key) throw unauthenticated('Send your API key as `Authorization: Bearer <key>`');
  const caller = await authenticateCaller(key, services);
  if (!caller)
    throw unauthenticated(
      'The API key or session is not valid (a session ends when idle, at its time limit or on sign-out: sign in again)',
    );
  if (caller.kind === 'partner') throw partnerKeyOverHttp();
  return caller.actor;
}
