import { GraphQLClient } from 'graphql-request';
import { ApiKeyService, AuditLog, AuditService, StaffRole, StaffService } from '../../apps/api/src/app/test-kit.js';
import type { TestApi, TestMerchant } from '../support/api.js';

export const ELEVATE = 'mutation ($p: String!) { elevateSupervisor(password: $p) { token expiresAt } }';
export const SIGN_IN =
  'mutation ($e: String!, $p: String!, $m: ID) { signIn(email: $e, password: $p, merchantId: $m) { token expiresAt idleTimeoutSeconds staffMember { id name email role } } }';
export const VIEWER =
  '{ viewer { apiKeyPrefix sessionExpiresAt sessionIdleTimeoutSeconds merchant { id name } staffMember { id name email role lastSignInAt invitationPending } } }';
export const STAFF_MEMBERS = '{ staffMembers { id name email role invitationPending } }';

/** A client for the merchant schema with any bearer (API key or session), a supervisor token, an address. */
export function client(t: TestApi, bearer?: string, options: { supervisorToken?: string; address?: string } = {}): GraphQLClient {
  return new GraphQLClient(`${t.url}/graphql`, {
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(options.supervisorToken ? { 'x-supervisor-token': options.supervisorToken } : {}),
      // The API trusts X-Forwarded-For from loopback (TRUST_PROXY=loopback): a test can speak from any address.
      ...(options.address ? { 'x-forwarded-for': options.address } : {}),
    },
  });
}

/** Another API key of the merchant, issued as the operator CLI does. */
export async function issueKey(t: TestApi, merchantId: string, label = 'second'): Promise<{ key: string; prefix: string }> {
  const em = t.orm.em.fork();
  const { apiKey, key } = await new ApiKeyService(em, t.clock, new AuditService(em, { requestId: 'test' })).issue(merchantId, label);
  return { key, prefix: apiKey.prefix };
}

export async function revokeKey(t: TestApi, merchantId: string, prefix: string): Promise<void> {
  const em = t.orm.em.fork();
  await new ApiKeyService(em, t.clock, new AuditService(em, { requestId: 'test' })).revoke(merchantId, prefix);
}

/** A staff account with a password, as `merchant staff create` makes it. */
export async function createStaff(
  t: TestApi,
  merchant: TestMerchant,
  input: { email: string; name: string; role: 'STAFF' | 'SUPERVISOR'; password: string },
) {
  const em = t.orm.em.fork();
  return new StaffService(em, t.clock, t.settings, new AuditService(em, { requestId: 'test' })).createWithPassword(merchant.id, {
    ...input,
    role: input.role as StaffRole,
  });
}

export async function signIn(t: TestApi, email: string, password: string, address?: string): Promise<string> {
  const { signIn } = await client(t, undefined, { address }).request<{ signIn: { token: string } }>(SIGN_IN, { e: email, p: password });
  return signIn.token;
}

export async function elevate(t: TestApi, bearer: string, password: string, address?: string): Promise<string> {
  return (await client(t, bearer, { address }).request<{ elevateSupervisor: { token: string } }>(ELEVATE, { p: password }))
    .elevateSupervisor.token;
}

export async function auditRows(t: TestApi, merchantId: string, action?: string) {
  return t.orm.em.fork().find(AuditLog, { merchantId, ...(action ? { action } : {}) }, { orderBy: { id: 'asc' } });
}
