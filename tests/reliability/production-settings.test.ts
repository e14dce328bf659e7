import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, cursorSecretsFor, loadSettings, startApi } from '../../apps/api/src/app/test-kit.js';
import { TEST_CURSOR_SECRET } from '../support/production-env.js';
import { report } from './support/battery.js';
import { freePort, startChildApi } from './support/child-api.js';

/** The API process started with `env`: the message it exits with, or null if it started (it is stopped again). */
async function refusal(env: Record<string, string>): Promise<string | null> {
  const logs: string[] = [];
  try {
    const api = await startChildApi(
      {
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/kometpay_never_opened',
        API_PORT: String(await freePort()),
        LOG_LEVEL: 'info',
        ...env,
      },
      logs,
    );
    await api.stop();
    return null;
  } catch {
    const fatal = logs.map((line) => (line.startsWith('{') ? JSON.parse(line) : null)).find((entry) => entry?.level === 60);
    return fatal?.msg ?? logs.join('\n');
  }
}

describe('production settings', () => {
  it('refuses to start on the sandbox, or without a cursor secret of 32 characters or more, saying what to set', async () => {
    const production = { NODE_ENV: 'production' };
    const sandbox = await refusal({ ...production, CURSOR_SECRETS: TEST_CURSOR_SECRET });
    expect(sandbox).toMatch(/sandbox processor.*PAYMENT_PROCESSOR=stripe.*ALLOW_SANDBOX_IN_PRODUCTION=true/s);
    const noSecret = await refusal({ ...production, ALLOW_SANDBOX_IN_PRODUCTION: 'true' });
    expect(noSecret).toMatch(/CURSOR_SECRETS/);
    expect(noSecret).not.toMatch(/sandbox/);
    const shortSecret = await refusal({ ...production, ALLOW_SANDBOX_IN_PRODUCTION: 'true', CURSOR_SECRETS: 'too-short' });
    expect(shortSecret).toMatch(/shorter than 32 characters/);
    // Both problems, in one message.
    expect(await refusal(production)).toMatch(/sandbox processor[\s\S]*CURSOR_SECRETS/);

    // startApi itself (what tests and embedders call) refuses the same, before it touches anything.
    const settings = loadSettings({ NODE_ENV: 'production' });
    await expect(
      startApi({ settings, databaseUrl: 'postgres://unused', orm: undefined as never, logger: createLogger('error') }),
    ).rejects.toThrow(/cannot start/);

    // (Development and tests need neither: every other test starts the API without them.)
    report(
      'production settings',
      `sandbox refused: "${sandbox?.split('\n')[1]}"; missing secret refused: "${noSecret?.split('\n')[1]}"; a short secret refused`,
    );
  }, 60_000);

  it('refuses production without a database, an SMTP server, processor keys or public addresses, naming each one missing', async () => {
    const bare = await refusal({
      NODE_ENV: 'production',
      DATABASE_URL: '',
      PAYMENT_PROCESSOR: 'stripe',
      CURSOR_SECRETS: TEST_CURSOR_SECRET,
    });
    expect(bare).toMatch(/NODE_ENV=production needs every one of these settings/);
    const missing = /which are unset[^:]*: ([A-Z_, ]+)/.exec(bare ?? '')![1].split(', ');
    expect(missing.sort()).toEqual(
      [
        'CHECKOUT_URL',
        'CONSOLE_URL',
        'DATABASE_URL',
        'PUBLIC_API_URL',
        'SMTP_URL',
        'STRIPE_CONNECT_WEBHOOK_SECRET',
        'STRIPE_PUBLISHABLE_KEY',
        'STRIPE_SECRET_KEY',
        'STRIPE_WEBHOOK_SECRET',
      ].sort(),
    );
    report('production settings', `missing settings named at once: ${missing.join(', ')}`);
  }, 60_000);

  it('refuses unknown spellings of booleans and numbers, listing each malformed setting', () => {
    let message = '';
    try {
      loadSettings({ RUN_JOBS: '1', DB_POOL_SIZE: '1e3', API_PORT: '-1', NODE_ENV: 'prod', SMTP_URL: 'mail.example.com' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid settings/);
    expect(message).toContain('RUN_JOBS: must be true or false, got "1"');
    expect(message).toContain('DB_POOL_SIZE: must be a whole number of 1 or more, got "1e3"');
    expect(message).toContain('API_PORT: must be a whole number of 0 or more, got "-1"');
    expect(message).toContain('NODE_ENV: must be one of development, test, production, got "prod"');
    expect(message).toContain('SMTP_URL: must be an smtp:// or smtps:// URL, got "mail.example.com"');
    expect(loadSettings({ RUN_JOBS: 'false' }).runJobs).toBe(false);
    // Unset and empty mean the default.
    expect(loadSettings({ RUN_JOBS: '', DB_POOL_SIZE: '' })).toMatchObject({ runJobs: true, dbPoolSize: 20 });
  });

  it('keeps a generated cursor secret in the data directory outside production, so cursors survive a restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'kometpay-secret-'));
    try {
      const settings = loadSettings({ NODE_ENV: 'development', KOMETPAY_DATA_DIR: dataDir });
      const [first] = await cursorSecretsFor(settings);
      const [again] = await cursorSecretsFor(settings);
      expect(again).toBe(first);
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(statSync(path.join(dataDir, 'cursor-secret')).mode & 0o777).toBe(0o600);
      // Two instances starting together on one directory agree on one secret.
      const other = mkdtempSync(path.join(tmpdir(), 'kometpay-secret-'));
      try {
        const racing = await Promise.all(
          Array.from({ length: 20 }, () => cursorSecretsFor(loadSettings({ NODE_ENV: 'development', KOMETPAY_DATA_DIR: other }))),
        );
        expect(new Set(racing.flat()).size).toBe(1);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
      // Set explicitly, it is used as given.
      expect(
        await cursorSecretsFor(
          loadSettings({
            NODE_ENV: 'development',
            KOMETPAY_DATA_DIR: dataDir,
            CURSOR_SECRETS: `${TEST_CURSOR_SECRET}, old-${TEST_CURSOR_SECRET}`,
          }),
        ),
      ).toEqual([TEST_CURSOR_SECRET, `old-${TEST_CURSOR_SECRET}`]);
      report(
        'development cursor secret',
        'generated once, kept in <data dir>/cursor-secret (0600), the same after a restart and for instances racing to create it',
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
