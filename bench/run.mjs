/**
 * `npm run bench`: the product's real workloads, each next to a baseline measured in the same run.
 * Prints one table and writes bench/results/latest.json. Options: --only=S1,S3  --seconds=10
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { benchServer, root } from './lib/postgres.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=')));
const only = args.only ? new Set(args.only.split(',')) : null;
const seconds = Number(args.seconds ?? 10);

const scenarios = [
  ['S1', './scenarios/s1-payment-link.mjs'],
  ['S2', './scenarios/s2-pay-with-link.mjs'],
  ['S3', './scenarios/s3-invoice-page.mjs'],
  ['S4', './scenarios/s4-subscriptions.mjs'],
  ['S5', './scenarios/s5-transaction-log.mjs'],
  ['S6', './scenarios/s6-checkout-page.mjs'],
  ['S7', './scenarios/s7-cold-start.mjs'],
].filter(([id]) => !only || only.has(id));

const started = Date.now();
const progress = (message) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}`);
const server = await benchServer();
const results = [];
try {
  for (const [id, module] of scenarios) {
    try {
      const { run } = await import(module);
      results.push(await run({ adminUrl: server.adminUrl, progress, seconds }));
    } catch (error) {
      progress(`${id} failed: ${error.stack ?? error}`);
      results.push({ id, workload: '-', ours: 'failed', baseline: '-', ratio: '-', target: '-', met: false, error: String(error) });
    }
  }
} finally {
  await server.stop();
}

const columns = ['id', 'workload', 'ours', 'baseline', 'ratio', 'target', 'met'];
const rows = results.map((r) => columns.map((c) => (c === 'met' ? (r.met ? 'yes' : 'NO') : String(r[c]))));
const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i].length)));
const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
console.log([line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));

const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
const resultsFile = path.join(root, 'bench/results/latest.json');
await mkdir(path.dirname(resultsFile), { recursive: true });
// With --only, the other scenarios' rows of the last full run are kept.
const previous = only ? JSON.parse(await readFile(resultsFile, 'utf8').catch(() => '{"results":[]}')).results : [];
const merged = [...previous.filter((r) => !results.some((n) => n.id === r.id)), ...results].sort((a, b) => a.id.localeCompare(b.id));
await writeFile(resultsFile, JSON.stringify({ takenAt: new Date().toISOString(), machine, seconds, results: merged }, null, 2));
progress(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; results in bench/results/latest.json`);
