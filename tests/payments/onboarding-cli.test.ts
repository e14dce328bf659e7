import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MerchantProcessorAccountDocument } from '@kometpay/schema/merchant';
import { startTestApi, type TestApi } from '../support/api.js';
import { eventually } from '../support/payments.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/api/dist/app/cli/main.js');

/** The operator starts a merchant's processor onboarding from the CLI, as a supervisor does with startProcessorOnboarding. */
describe('npm run kometpay -- merchant processor-onboarding', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ SANDBOX_ACCOUNTS_START_PENDING: 'true' });
  });
  afterAll(() => t.close());

  const kometpay = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const env = {
        ...process.env,
        DATABASE_URL: t.db.url,
        LOG_LEVEL: 'error',
        SANDBOX_ACCOUNTS_START_PENDING: 'true',
        PUBLIC_API_URL: t.url,
      };
      const child = spawn(process.execPath, [cli, ...args], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end();
    });

  it("answers the onboarding link of the merchant's account, which the onboarding page then makes ACTIVE; bad URLs are refused", async () => {
    const merchant = await t.createMerchant('Operator Onboarded');
    const status = async () => (await merchant.client().request(MerchantProcessorAccountDocument)).merchant.processorAccount.status;
    expect(await status()).toBe('PENDING_ONBOARDING');

    const refused = await kometpay([
      'merchant',
      'processor-onboarding',
      '--merchant',
      merchant.id,
      '--return-url',
      'http://console.example/settings',
      '--refresh-url',
      'https://console.example/settings',
      '--json',
    ]);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stderr)).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'returnUrl' } });

    const unknown = await kometpay([
      'merchant',
      'processor-onboarding',
      '--merchant',
      'nobody',
      '--return-url',
      'https://a.example',
      '--refresh-url',
      'https://a.example',
      '--json',
    ]);
    expect(unknown.code).toBe(2);

    const run = await kometpay([
      'merchant',
      'processor-onboarding',
      '--merchant',
      merchant.id,
      '--return-url',
      'http://localhost:5174/settings',
      '--refresh-url',
      'http://localhost:5174/settings',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer).toMatchObject({ merchantId: merchant.id, status: 'PENDING_ONBOARDING' });
    expect(answer.url.startsWith(`${t.url}/sandbox/v1/accounts/acct_sbx_`)).toBe(true);

    // The merchant completes the sandbox's onboarding page; the API hears of it and the account takes charges.
    const completed = await fetch(answer.url.split('?')[0], {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(completed.status).toBe(200);
    await eventually(async () => (await status()) === 'ACTIVE');
  });
});
