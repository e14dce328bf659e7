import { DomainError, ErrorCode } from '../../domain/errors.js';

/** A staff member's role: SUPERVISOR may administer the merchant's people and settings; STAFF may not. */
export type StaffRole = 'STAFF' | 'SUPERVISOR';

/** The person behind a staff session, as of the request. */
export interface StaffIdentity {
  id: string;
  name: string;
  email: string;
  role: StaffRole;
}

/** The credential a merchant-schema request came with: a machine's API key or a person's console session. */
export type MerchantCredential =
  | { kind: 'api_key'; id: string; prefix: string }
  | { kind: 'staff_session'; id: string; staff: StaffIdentity };

/** Who is calling the merchant schema: resolved from the bearer credential, never from the request body. */
export interface MerchantActor {
  merchantId: string;
  credential: MerchantCredential;
  /**
   * Kept for modules written before staff sessions (`reconciledBy`, subscriptions ended by a revoke):
   * the credential's id, and how it is named (an API key's prefix, a person's email). New code reads `credential`.
   */
  apiKeyId: string;
  apiKeyPrefix: string;
}

/** Request facts written next to every audit row. */
export interface RequestMeta {
  requestId: string;
  ip?: string | null;
  userAgent?: string | null;
}

export function apiKeyActor(merchantId: string, key: { id: string; prefix: string }): MerchantActor {
  return { merchantId, credential: { kind: 'api_key', id: key.id, prefix: key.prefix }, apiKeyId: key.id, apiKeyPrefix: key.prefix };
}

export function staffSessionActor(merchantId: string, sessionId: string, staff: StaffIdentity): MerchantActor {
  return { merchantId, credential: { kind: 'staff_session', id: sessionId, staff }, apiKeyId: sessionId, apiKeyPrefix: staff.email };
}

/** The staff member behind the actor, or null for an API key. */
export function staffOf(actor: MerchantActor): StaffIdentity | null {
  return actor.credential.kind === 'staff_session' ? actor.credential.staff : null;
}

/** How the audit log names an actor: the person (a staff session) or the key (an API key's prefix). */
export function describeActor(actor: MerchantActor): { actorType: 'staff_member' | 'api_key'; actorId: string; actorName: string } {
  const { credential } = actor;
  if (credential.kind === 'api_key') return { actorType: 'api_key', actorId: credential.id, actorName: `API key ${credential.prefix}` };
  return { actorType: 'staff_member', actorId: credential.staff.id, actorName: `${credential.staff.name} <${credential.staff.email}>` };
}

/** A STAFF member's session may use the merchant's supervisor password, but not administer the merchant. */
export function assertMayAdminister(actor: MerchantActor, what: string): void {
  if (staffOf(actor)?.role === 'STAFF') {
    throw new DomainError(
      ErrorCode.FORBIDDEN,
      `${what} is for supervisors: a STAFF member cannot do it, even with the supervisor password`,
    );
  }
}
