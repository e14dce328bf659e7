import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestApi, type TestApi } from './support/api.js';

const run = promisify(execFile);
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../apps/api/dist/cli/main.js');

describe('operator CLI (npm run kometpay)', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
  });
  afterAll(() => t.close());

  const kometpay = (...args: string[]) =>
    run(process.execPath, [cli, ...args], { env: { ...process.env, DATABASE_URL: t.db.url, LOG_LEVEL: 'error' } });

  it('onboards a merchant and issues an API key that works against the API', async () => {
    const created = JSON.parse((await kometpay('merchant', 'create', '--name', 'Acme Flowers', '--supervisor-password', 'correct horse battery', '--json')).stdout);
    expect(created).toMatchObject({ id: expect.any(String), name: 'Acme Flowers' });

    const issued = JSON.parse((await kometpay('merchant', 'api-key', 'create', '--merchant', created.id, '--label', 'erp', '--json')).stdout);
    expect(issued.key).toMatch(/^kp_/);
    expect(issued.key.startsWith(issued.prefix)).toBe(true);

    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issued.key}` },
      body: JSON.stringify({ query: '{ merchant { id name } }' }),
    });
    expect(await response.json()).toEqual({ data: { merchant: { id: created.id, name: 'Acme Flowers' } } });

    const listed = JSON.parse((await kometpay('merchant', 'list', '--json')).stdout);
    expect(listed.merchants.map((m: { id: string }) => m.id)).toContain(created.id);

    await kometpay('merchant', 'api-key', 'revoke', '--merchant', created.id, '--prefix', issued.prefix, '--json');
    const revoked = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issued.key}` },
      body: JSON.stringify({ query: '{ merchant { id } }' }),
    });
    expect(revoked.status).toBe(401);
  });

  it('refuses a short supervisor password with a coded error and exit code 2', async () => {
    const failure = await kometpay('merchant', 'create', '--name', 'Weak', '--supervisor-password', 'short', '--json').catch((error) => error);
    expect(failure.code).toBe(2);
    expect(JSON.parse(failure.stderr).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'supervisorPassword' });
  });
});
