import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GraphQLClient } from 'graphql-request';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { assertNoCardData } from './support/card-scan.js';
import { freePort, repoRoot, startChildApi } from './support/child-api.js';

/**
 * Item 15 of the battery: the soak. It runs `npm run soak`'s script (tests/reliability/soak/) on
 * this file's database, so that the soak in `npm test` and the one an operator runs are one
 * program: the same world, calibration, load and verdict. Short form here (`npm test`): 60 s at a
 * rate calibrated from three 3 s windows; long form (`npm run test:soak`, SOAK=1): the script's
 * defaults, 30 minutes from five 5 s windows. Then what it left behind is checked as after every
 * reliability test: the money invariant and no card data in the database, logs or emails.
 */
const SHORT = [
  '--minutes',
  '1',
  '--warmup-seconds',
  '10',
  '--windows',
  '3',
  '--window-seconds',
  '3',
  '--progress-seconds',
  '15',
  '--links',
  '300',
];
const LONG = ['--minutes', '30'];

interface Criterion {
  name: string;
  pass: boolean | null;
  figure: string;
}
interface Figures {
  p50: number;
  p99: number;
}
interface SoakResult {
  criteria: Criterion[];
  rate: number;
  seconds: number;
  calibration: { maximum: number; spread: number; share: number } | null;
  load: { requests: number; errors: number; errorRate: number; s1: Figures & { tally: { requests: number } } };
  merchants: { id: string; authorization: string }[];
  payments: { made: number };
}

let db: TestDatabase;
const out = () => path.join(repoRoot, '.data/test', db.name, 'soak');

/** The soak script as its own process, its progress lines passed through as they come; its exit code. */
function runSoakScript(args: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'tests/reliability/soak/run-soak.mjs'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

describe('the soak: S1 reads at a calibrated rate, merchant cycles and 200 partner subscribers', () => {
  it(
    'holds errors < 0.1%, RSS growth < 10%, event-loop lag p99 < 50 ms, and delivers every payment event to every subscriber once, in order',
    async () => {
      const code = await runSoakScript([...pick(SHORT, LONG), '--no-build', '--database-url', db.url, '--out', out()]);
      const result = JSON.parse(readFileSync(path.join(out(), 'result.json'), 'utf8')) as SoakResult;
      const { calibration, load } = result;
      report(
        'soak',
        `${result.seconds} s at ${result.rate} req/s of S1 reads${calibration ? ` (${calibration.share * 100}% of a calibrated maximum of ${calibration.maximum.toFixed(0)} req/s, windows ${calibration.spread.toFixed(2)}x apart)` : ''}, ` +
          `${load.requests} requests (S1 p50 ${load.s1.p50.toFixed(1)} ms, p99 ${load.s1.p99.toFixed(1)} ms), ${result.payments.made} payments; ` +
          result.criteria.map((criterion) => `${criterion.name}: ${criterion.pass ? 'pass' : 'FAIL'}, ${criterion.figure}`).join('; '),
      );
      // What it left, whatever the verdict: the money invariant (invoices read through an API on that database) and no card data.
      const api = await startChildApi(
        { DATABASE_URL: db.url, API_PORT: String(await freePort()), RUN_JOBS: 'false', KOMETPAY_DATA_DIR: path.join(out(), 'api-data') },
        [],
      );
      try {
        const merchants = result.merchants.map((merchant) => ({
          id: merchant.id,
          client: () => new GraphQLClient(`${api.url}/graphql`, { headers: { authorization: merchant.authorization } }),
        }));
        await assertInvariant({ databaseUrl: db.url, merchants });
      } finally {
        await api.stop();
      }
      const logs = readFileSync(path.join(out(), 'api.log'), 'utf8').split('\n');
      await assertNoCardData('soak', { databaseUrl: db.url, logs, dataDir: path.join(out(), 'api-data') });

      // Each criterion failed comes out with its figures.
      expect(
        result.criteria.filter((criterion) => criterion.pass !== true).map((criterion) => `${criterion.name}: ${criterion.figure}`),
      ).toEqual([]);
      expect(code).toBe(0);
    },
    pick(300_000, 2_700_000),
  );
});
