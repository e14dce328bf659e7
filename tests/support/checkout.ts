import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export { freePort } from '../../scripts/lib/free-port.mjs';

/** A built SvelteKit app (adapter-node) running as its own process. */
export interface RunningApp {
  url: string;
  /** Everything the process printed, for a failing test's message. */
  output(): string;
  close(): Promise<void>;
}

export type RunningCheckout = RunningApp;

interface AppOptions {
  port: number;
  apiUrl: string;
  env?: Record<string, string>;
}

/**
 * The built checkout (adapter-node) as its own process, configured as in production: its public
 * URL as ORIGIN, the API's address as KOMETPAY_API_URL. Needs `npm run build -w @kometpay/checkout`.
 */
export function startCheckout(options: AppOptions): Promise<RunningCheckout> {
  return startSvelteKitApp('checkout', options);
}

/**
 * One of the repository's SvelteKit apps (`apps/<name>/build`), built, as its own process configured
 * as in production: its public URL as ORIGIN, the API's address as KOMETPAY_API_URL.
 */
export async function startSvelteKitApp(name: 'checkout' | 'console', { port, apiUrl, env = {} }: AppOptions): Promise<RunningApp> {
  const entry = path.join(root, `apps/${name}/build/index.js`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build -w @kometpay/${name}\` first`);
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [entry], {
    cwd: root,
    // SHUTDOWN_TIMEOUT: adapter-node waits up to 30 s (its default) for open requests on SIGTERM, such as
    // a page's live stream a test left open; that wait once outlasted the 30 s afterAll hook.
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORIGIN: url, KOMETPAY_API_URL: apiUrl, SHUTDOWN_TIMEOUT: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${name} exited (${child.exitCode}):\n${output}`);
    const healthy = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`the ${name} did not answer on ${url} within 15 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    output: () => output,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
