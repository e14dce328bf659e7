import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { auditRows, client, createStaff, SIGN_IN, signIn } from './support.js';

let t: TestApi;
let merchant: TestMerchant;

beforeAll(async () => {
  t = await startTestApi({ SIGN_IN_MAX_FAILED_PER_EMAIL: '5', SIGN_IN_MAX_FAILED_PER_ADDRESS: '8' });
  merchant = await t.createMerchant('Guarded Flowers');
  await createStaff(t, merchant, { email: 'ann@guarded.example', name: 'Ann Lo', role: 'STAFF', password: 'ann has a long password' });
  await createStaff(t, merchant, { email: 'ben@guarded.example', name: 'Ben Ko', role: 'STAFF', password: 'ben has a long password' });
});
afterAll(() => t.close());

const attempt = (email: string, password: string, address: string) =>
  expectGraphQLError(client(t, undefined, { address }), SIGN_IN, { e: email, p: password });

describe('wrong sign-ins', () => {
  it('locks an email out after five wrong passwords, whatever the address, right password included; other emails go on', async () => {
    for (let i = 1; i <= 5; i++)
      expect((await attempt('ann@guarded.example', `wrong password ${i}`, `198.51.100.${i}`)).extensions?.code).toBe('INVALID_CREDENTIALS');
    const locked = await attempt('ann@guarded.example', 'ann has a long password', '198.51.100.77');
    expect(locked.extensions).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: expect.any(Number) });
    expect(locked.status).toBe(429);
    await signIn(t, 'ben@guarded.example', 'ben has a long password', '198.51.100.1');

    // Each wrong password is one audit row; refused attempts are counted, and the lockout written once.
    for (let i = 0; i < 5; i++) await attempt('ann@guarded.example', 'ann has a long password', '198.51.100.78');
    expect(await auditRows(t, merchant.id, 'staff.sign_in.failed')).toHaveLength(5);
    const lockouts = await auditRows(t, merchant.id, 'staff.sign_in.locked');
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0]).toMatchObject({ actorType: 'anonymous', actorName: 'ann@guarded.example', details: { scope: 'email' } });
    const [row] = await t.orm.em
      .fork()
      .getConnection()
      .execute<{ points: number }[]>("select points from rate_limit where key = 'sign-in-email:ann@guarded.example'");
    expect(row.points).toBe(5 + 1 + 5);
  });

  it('locks an address out after eight misses across emails, known or not; other addresses go on', async () => {
    const address = '203.0.113.9';
    for (let i = 0; i < 8; i++)
      expect((await attempt(`guess-${i}@guarded.example`, 'password guess', address)).extensions?.code).toBe('INVALID_CREDENTIALS');
    expect((await attempt('ben@guarded.example', 'ben has a long password', address)).extensions?.code).toBe('TOO_MANY_ATTEMPTS');
    await signIn(t, 'ben@guarded.example', 'ben has a long password', '203.0.113.10');
  });

  it('does not let an account holder clear an address budget between guesses', async () => {
    const address = '203.0.113.20';
    for (let round = 0; round < 3; round++) {
      await attempt(`victim-${round}@guarded.example`, 'guess', address);
      await attempt(`victim-${round}b@guarded.example`, 'guess', address);
      await signIn(t, 'ben@guarded.example', 'ben has a long password', address); // gives back its own attempt only
    }
    expect((await attempt('victim-7@guarded.example', 'guess', address)).extensions?.code).toBe('INVALID_CREDENTIALS');
    expect((await attempt('victim-8@guarded.example', 'guess', address)).extensions?.code).toBe('INVALID_CREDENTIALS');
    expect((await attempt('victim-9@guarded.example', 'guess', address)).extensions?.code).toBe('TOO_MANY_ATTEMPTS');
  });

  it('answers a guessed email of any length as a wrong sign-in, never an internal error', async () => {
    expect((await attempt(`${'x'.repeat(2_000)}@guarded.example`, 'password guess', '203.0.113.200')).extensions?.code).toBe(
      'INVALID_CREDENTIALS',
    );
  });
});
