import { SupervisorSession } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { auditRows, client, createStaff, ELEVATE, elevate, issueKey, revokeKey, STAFF_MEMBERS, signIn } from './support.js';

const CHANGE = 'mutation ($c: String!, $n: String!) { changeSupervisorPassword(currentPassword: $c, newPassword: $n) }';

let t: TestApi;

beforeAll(async () => {
  // Per credential 5 (the default), per address 7, per merchant 9, so that each budget can be reached on its own.
  t = await startTestApi({ SUPERVISOR_MAX_FAILED_PER_ADDRESS: '7', SUPERVISOR_MAX_FAILED_PER_MERCHANT: '9' });
});
afterAll(() => t.close());

const wrong = (bearer: string, address = '192.0.2.1') =>
  expectGraphQLError(client(t, bearer, { address }), ELEVATE, { p: 'not the supervisor password' });

describe('a supervisor token belongs to the credential that obtained it', () => {
  let merchant: TestMerchant;
  beforeAll(async () => {
    merchant = await t.createMerchant('Bound Flowers');
  });

  it('works only with that credential, not another key or a staff session of the same merchant', async () => {
    const other = await issueKey(t, merchant.id);
    await createStaff(t, merchant, { email: 'ivy@bound.example', name: 'Ivy Bell', role: 'STAFF', password: 'ivy has a long password' });
    const session = await signIn(t, 'ivy@bound.example', 'ivy has a long password');
    const token = await elevate(t, merchant.apiKey, merchant.supervisorPassword);
    await client(t, merchant.apiKey, { supervisorToken: token }).request(STAFF_MEMBERS);
    for (const bearer of [other.key, session]) {
      const refused = await expectGraphQLError(client(t, bearer, { supervisorToken: token }), STAFF_MEMBERS);
      expect(refused.extensions?.code).toBe('SUPERVISOR_REQUIRED');
    }
    const sessionToken = await elevate(t, session, merchant.supervisorPassword);
    expect((await expectGraphQLError(client(t, merchant.apiKey, { supervisorToken: sessionToken }), STAFF_MEMBERS)).extensions?.code).toBe(
      'SUPERVISOR_REQUIRED',
    );
  });

  it('ends with the key: revoking it ends the supervisor sessions it obtained', async () => {
    const doomed = await issueKey(t, merchant.id, 'doomed');
    const token = await elevate(t, doomed.key, merchant.supervisorPassword);
    await client(t, doomed.key, { supervisorToken: token }).request(STAFF_MEMBERS);
    await revokeKey(t, merchant.id, doomed.prefix);
    const rows = await t.orm.em.fork().find(SupervisorSession, { merchant: merchant.id, apiKey: { prefix: doomed.prefix } });
    expect(rows).toHaveLength(1);
    expect(rows[0].endedAt).toBeInstanceOf(Date);
    expect((await expectGraphQLError(client(t, doomed.key, { supervisorToken: token }), STAFF_MEMBERS)).status).toBe(401);
    expect((await expectGraphQLError(client(t, merchant.apiKey, { supervisorToken: token }), STAFF_MEMBERS)).extensions?.code).toBe(
      'SUPERVISOR_REQUIRED',
    );
  });
});

describe('wrong supervisor passwords', () => {
  it('lock out the credential that guessed, not the merchant: another key still elevates', async () => {
    const merchant = await t.createMerchant('Guessed At');
    const guesser = await issueKey(t, merchant.id, 'guesser');
    for (let i = 0; i < 5; i++)
      expect((await wrong(guesser.key, `192.0.2.${10 + i}`)).extensions?.code).toBe('INVALID_SUPERVISOR_PASSWORD');
    expect((await wrong(guesser.key, '192.0.2.30')).extensions?.code).toBe('TOO_MANY_ATTEMPTS');
    expect((await expectGraphQLError(client(t, guesser.key), ELEVATE, { p: merchant.supervisorPassword })).extensions?.code).toBe(
      'TOO_MANY_ATTEMPTS',
    );
    await elevate(t, merchant.apiKey, merchant.supervisorPassword, '192.0.2.10');

    // Blocked attempts are counted by the limiter, and the lockout is audited once.
    for (let i = 0; i < 20; i++) await wrong(guesser.key, '192.0.2.30');
    expect(await auditRows(t, merchant.id, 'supervisor.elevate.failed')).toHaveLength(5);
    const locked = await auditRows(t, merchant.id, 'supervisor.elevate.locked');
    expect(locked).toHaveLength(1);
    expect(locked[0]).toMatchObject({ actorName: `API key ${guesser.prefix}`, details: { scope: 'credential' } });
    const [row] = await t.orm.em
      .fork()
      .getConnection()
      .execute<{ points: number }[]>('select points from rate_limit where key like ?', [`supervisor-credential:key:%`]);
    expect(row.points).toBeGreaterThanOrEqual(5 + 1 + 1 + 20);
  });

  it('count per staff member across their sessions, so signing in again buys no attempts', async () => {
    const merchant = await t.createMerchant('Persistent Guesser');
    await createStaff(t, merchant, { email: 'max@persistent.example', name: 'Max', role: 'STAFF', password: 'max has a long password' });
    for (let i = 0; i < 5; i++) await wrong(await signIn(t, 'max@persistent.example', 'max has a long password'), `192.0.2.${40 + i}`);
    expect((await wrong(await signIn(t, 'max@persistent.example', 'max has a long password'), '192.0.2.50')).extensions?.code).toBe(
      'TOO_MANY_ATTEMPTS',
    );
  });

  it('lock out an address within the merchant, and the merchant once many credentials guess', async () => {
    const merchant = await t.createMerchant('Besieged');
    const keys = await Promise.all([1, 2, 3].map((n) => issueKey(t, merchant.id, `k${n}`)));
    // One address, three keys: the address budget (7) runs out before any key's (5).
    for (let i = 0; i < 7; i++) await wrong(keys[i % 3].key, '198.51.100.50');
    expect((await wrong(keys[2].key, '198.51.100.50')).extensions?.code).toBe('TOO_MANY_ATTEMPTS');
    await elevate(t, keys[2].key, merchant.supervisorPassword, '198.51.100.51');
    // The merchant's budget (9) spent from other addresses: everyone waits, the rightful caller too.
    await wrong(keys[0].key, '198.51.100.60');
    await wrong(keys[1].key, '198.51.100.61');
    expect((await wrong(keys[0].key, '198.51.100.62')).extensions?.code).toBe('TOO_MANY_ATTEMPTS');
    expect(
      (await expectGraphQLError(client(t, merchant.apiKey, { address: '198.51.100.99' }), ELEVATE, { p: merchant.supervisorPassword }))
        .extensions?.code,
    ).toBe('TOO_MANY_ATTEMPTS');
    const scopes = (await auditRows(t, merchant.id, 'supervisor.elevate.locked')).map((row) => row.details.scope);
    expect(scopes).toEqual(['address', 'merchant']);
  });
});

describe('changing the supervisor password', () => {
  it('refuses a wrong current password (costing an attempt) and a weak new one, changing nothing', async () => {
    const merchant = await t.createMerchant('Careful Changer');
    const refused = await expectGraphQLError(client(t, merchant.apiKey), CHANGE, {
      c: 'not the current one',
      n: 'a brand new supervisor password',
    });
    expect(refused.extensions).toMatchObject({ code: 'INVALID_SUPERVISOR_PASSWORD', field: 'currentPassword' });
    for (const weak of ['short', '']) {
      expect(
        (await expectGraphQLError(client(t, merchant.apiKey), CHANGE, { c: merchant.supervisorPassword, n: weak })).extensions,
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });
    }
    expect(
      (await expectGraphQLError(client(t, merchant.apiKey), CHANGE, { c: merchant.supervisorPassword, n: merchant.supervisorPassword }))
        .extensions?.code,
    ).toBe('BAD_USER_INPUT');
    // The wrong current password shares the elevation budget: 4 more wrong elevations lock the key out of both.
    for (let i = 0; i < 4; i++) await wrong(merchant.apiKey);
    expect(
      (
        await expectGraphQLError(client(t, merchant.apiKey), CHANGE, {
          c: merchant.supervisorPassword,
          n: 'a brand new supervisor password',
        })
      ).extensions?.code,
    ).toBe('TOO_MANY_ATTEMPTS');
    const other = await issueKey(t, merchant.id);
    await elevate(t, other.key, merchant.supervisorPassword); // unchanged
  });

  it('changes it: every supervisor session of the merchant ends, the old password stops working, and it is audited', async () => {
    const merchant = await t.createMerchant('Rotating Flowers');
    const other = await issueKey(t, merchant.id);
    const otherToken = await elevate(t, other.key, merchant.supervisorPassword);
    await client(t, other.key, { supervisorToken: otherToken }).request(STAFF_MEMBERS);
    expect(
      await client(t, merchant.apiKey).request(CHANGE, { c: merchant.supervisorPassword, n: 'the rotated supervisor password' }),
    ).toEqual({ changeSupervisorPassword: true });
    expect((await expectGraphQLError(client(t, other.key, { supervisorToken: otherToken }), STAFF_MEMBERS)).extensions?.code).toBe(
      'SUPERVISOR_REQUIRED',
    );
    expect((await expectGraphQLError(client(t, other.key), ELEVATE, { p: merchant.supervisorPassword })).extensions?.code).toBe(
      'INVALID_SUPERVISOR_PASSWORD',
    );
    await elevate(t, other.key, 'the rotated supervisor password');
    const [changed] = await auditRows(t, merchant.id, 'supervisor.password.changed');
    expect(changed).toMatchObject({ actorType: 'api_key', details: { supervisorSessionsEnded: 1 } });
    expect(JSON.stringify(changed.details)).not.toContain('rotated');
  });
});
