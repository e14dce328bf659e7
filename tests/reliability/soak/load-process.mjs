import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const GENERATOR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-generator.mjs');

/** The S1 document (bench/scenarios/s1-payment-link.mjs). */
export const S1_QUERY = `query ($token: String!) { paymentLink(token: $token) {
  status merchantName invoiceNumber currency dueDate
  lines { description quantity unitAmount amount { amount formatted } }
  total { amount formatted } amountPaid { amount formatted } amountDue { amount formatted } } }`;

const running = new Set();
let interrupted = false;

/** Stops the generators running now and refuses new ones (the soak was interrupted). */
export function interruptLoad() {
  interrupted = true;
  for (const child of running) child.kill('SIGTERM');
}

/**
 * Runs load-generator.mjs in its own process with `config` (S1's document on the checkout schema of
 * `urls`, over `tokens`), calling `onMessage` with each JSON line it prints; resolves when it exits.
 */
export function runLoadGenerator({ urls, tokens, ...config }, onMessage) {
  if (interrupted) return Promise.reject(new Error('interrupted'));
  const child = spawn(process.execPath, [GENERATOR], { stdio: ['pipe', 'pipe', 'inherit'] });
  running.add(child);
  child.stdin.end(JSON.stringify({ urls, path: '/checkout/graphql', query: S1_QUERY, tokens, ...config }));
  return new Promise((resolve, reject) => {
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) if (line) onMessage(JSON.parse(line));
    });
    // 'close', not 'exit': the exit can be seen before its last line (the 'done' totals) has been read.
    child.on('close', (code, signal) => {
      running.delete(child);
      if (code === 0) resolve();
      else reject(new Error(interrupted ? 'interrupted' : `the load generator exited with ${code ?? signal}`));
    });
  });
}
