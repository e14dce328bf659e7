import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPerUnit, cpuSnapshot } from './cpu.mjs';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-worker.mjs');

/**
 * Runs a load in a separate process (so the generator does not share the event loop or CPU
 * accounting of the server under test). `bodies` are sent in turn, one per request.
 * mode 'autocannon': {connections, duration|amount}; mode 'sequential': one request at a time.
 */
export async function runLoad(config) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kometpay-load-'));
  const file = path.join(dir, 'config.json');
  await writeFile(file, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    // 'close', not 'exit': the exit can be seen before the last of the output has been read.
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(output)) : reject(new Error(`load worker exited with ${code}`))));
  });
}

/** runLoad, and what the process `pid` (and the whole machine) spent on it: CPU per request, or per `units` when given. */
export async function runLoadWithCpu(pid, config, units) {
  const before = cpuSnapshot(pid);
  const load = await runLoad(config);
  return { load, cpu: cpuPerUnit(before, cpuSnapshot(pid), units ?? load.requests) };
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
