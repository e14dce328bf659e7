import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphQLClient } from 'graphql-request';
import { AuditLog } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/api/dist/app/cli/main.js');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ELEVATE = 'mutation ($p: String!) { elevateSupervisor(password: $p) { token } }';
const SIGN_IN = 'mutation ($e: String!, $p: String!) { signIn(email: $e, password: $p) { token staffMember { name email role } } }';

describe('operator CLI (npm run kometpay)', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
  });
  afterAll(() => t.close());

  /** Runs the CLI as an operator would, with `stdin` piped in (passwords never go on the command line). */
  const kometpay = (args: string[], stdin = ''): Promise<CliRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, DATABASE_URL: t.db.url, LOG_LEVEL: 'error' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  const json = (run: CliRun) => {
    if (run.code !== 0) throw new Error(`CLI exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout);
  };
  const api = (key: string) => new GraphQLClient(`${t.url}/graphql`, { headers: { authorization: `Bearer ${key}` } });

  it('onboards a merchant (supervisor password from standard input) and issues an API key that works against the API', async () => {
    const created = json(await kometpay(['merchant', 'create', '--name', 'Acme Flowers', '--json'], 'correct horse battery\n'));
    expect(created).toMatchObject({ id: expect.any(String), name: 'Acme Flowers' });
    expect(created.supervisorPassword).toBeUndefined();

    const issued = json(await kometpay(['merchant', 'api-key', 'create', '--merchant', created.id, '--label', 'erp', '--json']));
    expect(issued.key).toMatch(/^kp_/);
    expect(issued.key.startsWith(issued.prefix)).toBe(true);

    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issued.key}` },
      body: JSON.stringify({ query: '{ merchant { id name } }' }),
    });
    expect(await response.json()).toEqual({ data: { merchant: { id: created.id, name: 'Acme Flowers' } } });
    await expect(api(issued.key).request(ELEVATE, { p: 'correct horse battery' })).resolves.toBeTruthy();

    const listed = json(await kometpay(['merchant', 'list', '--json']));
    expect(listed.merchants.map((m: { id: string }) => m.id)).toContain(created.id);

    json(await kometpay(['merchant', 'api-key', 'revoke', '--merchant', created.id, '--prefix', issued.prefix, '--json']));
    const revoked = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${issued.key}` },
      body: JSON.stringify({ query: '{ merchant { id } }' }),
    });
    expect(revoked.status).toBe(401);
  });

  it('no longer takes a password on the command line, and refuses a short one with a coded error and exit code 2', async () => {
    const onArgv = await kometpay(['merchant', 'create', '--name', 'Leaky', '--supervisor-password', 'correct horse battery', '--json']);
    expect(onArgv.code).toBe(1);
    expect(onArgv.stderr).toMatch(/unknown option '--supervisor-password'/);

    const short = await kometpay(['merchant', 'create', '--name', 'Weak', '--json'], 'short\n');
    expect(short.code).toBe(2);
    expect(JSON.parse(short.stderr).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'supervisorPassword' });
    const names = json(await kometpay(['merchant', 'list', '--json'])).merchants.map((m: { name: string }) => m.name);
    expect(names).not.toContain('Weak');
    expect(names).not.toContain('Leaky');
  });

  it('generates a supervisor password on request and prints it once', async () => {
    const created = json(await kometpay(['merchant', 'create', '--name', 'Generated', '--generate-supervisor-password', '--json']));
    expect(created.supervisorPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const { key } = json(await kometpay(['merchant', 'api-key', 'create', '--merchant', created.id, '--json']));
    await expect(api(key).request(ELEVATE, { p: created.supervisorPassword })).resolves.toBeTruthy();
  });

  it('resets a supervisor password from standard input: the old one and its tokens stop working, and the reset is audited', async () => {
    const created = json(await kometpay(['merchant', 'create', '--name', 'Forgetful Florist', '--json'], 'first supervisor password\n'));
    const { key } = json(await kometpay(['merchant', 'api-key', 'create', '--merchant', created.id, '--json']));
    const { elevateSupervisor } = await api(key).request<{ elevateSupervisor: { token: string } }>(ELEVATE, {
      p: 'first supervisor password',
    });
    const supervised = new GraphQLClient(`${t.url}/graphql`, {
      headers: { authorization: `Bearer ${key}`, 'x-supervisor-token': elevateSupervisor.token },
    });
    await supervised.request('{ staffMembers { id } }');

    expect((await kometpay(['merchant', 'supervisor-password', 'reset', '--merchant', created.id, '--json'], 'tiny\n')).code).toBe(2);
    const reset = json(
      await kometpay(['merchant', 'supervisor-password', 'reset', '--merchant', created.id, '--json'], 'second supervisor password\n'),
    );
    expect(reset).toEqual({ merchantId: created.id, reset: true });

    expect((await expectGraphQLError(supervised, '{ staffMembers { id } }')).extensions?.code).toBe('SUPERVISOR_REQUIRED');
    expect((await expectGraphQLError(api(key), ELEVATE, { p: 'first supervisor password' })).extensions?.code).toBe(
      'INVALID_SUPERVISOR_PASSWORD',
    );
    await expect(api(key).request(ELEVATE, { p: 'second supervisor password' })).resolves.toBeTruthy();
    const rows = await t.orm.em.fork().find(AuditLog, { merchantId: created.id, action: 'supervisor.password.reset' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actorType: 'operator', details: { supervisorSessionsEnded: 1 } });

    const unknown = await kometpay(
      ['merchant', 'supervisor-password', 'reset', '--merchant', '00000000-0000-4000-8000-000000000000', '--json'],
      'another long password\n',
    );
    expect(unknown.code).toBe(2);
  });

  it('creates a staff account with its password from standard input; the person signs in with it', async () => {
    const created = json(await kometpay(['merchant', 'create', '--name', 'Staffed', '--generate-supervisor-password', '--json']));
    const args = [
      'merchant',
      'staff',
      'create',
      '--merchant',
      created.id,
      '--email',
      'Dana@Staffed.example',
      '--name',
      'Dana Reyes',
      '--role',
      'SUPERVISOR',
      '--json',
    ];
    const staff = json(await kometpay(args, 'dana has a long password\n'));
    expect(staff).toMatchObject({
      id: expect.any(String),
      merchantId: created.id,
      name: 'Dana Reyes',
      email: 'dana@staffed.example',
      role: 'SUPERVISOR',
    });

    const anonymous = new GraphQLClient(`${t.url}/graphql`);
    const { signIn } = await anonymous.request<{ signIn: { token: string; staffMember: unknown } }>(SIGN_IN, {
      e: 'dana@staffed.example',
      p: 'dana has a long password',
    });
    expect(signIn.token).toMatch(/^kps_/);
    expect(signIn.staffMember).toEqual({ name: 'Dana Reyes', email: 'dana@staffed.example', role: 'SUPERVISOR' });

    const again = await kometpay(args, 'another long password\n');
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stderr).error).toMatchObject({ code: 'DUPLICATE', field: 'email' });
    const weak = await kometpay(
      [...args.slice(0, 6), 'sam@staffed.example', '--name', 'Sam', '--role', 'STAFF', '--json'],
      'sam@staffed.example\n',
    );
    expect(JSON.parse(weak.stderr).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
    const badRole = await kometpay(
      [...args.slice(0, 6), 'sam@staffed.example', '--name', 'Sam', '--role', 'OWNER', '--json'],
      'a long enough password\n',
    );
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toMatch(/SUPERVISOR or STAFF/);
  });
});
