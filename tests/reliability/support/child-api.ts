import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ChildApi {
  url: string;
  pid: number;
  /** The process itself (its IPC channel, when started with `ipc`). */
  child: ChildProcess;
  /** Resolves when the process is gone, with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (a clean shutdown), then waits for the exit. */
  stop(): Promise<void>;
}

// Its API keeps its port across restarts, so that clients made before a crash still reach the API started after it.
export { freePort } from '../../../scripts/lib/free-port.mjs';

/** Calls `onLine` with each whole line of a child's output (a chunk may end mid-line). */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const line of lines) onLine(line);
  });
}

export interface ChildApiOptions {
  /** Node options before the script (e.g. `--import` of a probe, `--cpu-prof`). */
  execArgv?: string[];
  /** Opens an IPC channel to the process (`child.send`, `child.on('message')`). */
  ipc?: boolean;
}

/**
 * The real API process (`node apps/api/dist/app/main.js`, run `npm run build` first) on Node 24, as
 * production runs it. Its output lines go to `logs`; it is ready when it prints its banner.
 */
export async function startChildApi(env: Record<string, string>, logs: string[], options: ChildApiOptions = {}): Promise<ChildApi> {
  const child: ChildProcess = spawn(process.execPath, [...(options.execArgv ?? []), path.join(repoRoot, 'apps/api/dist/app/main.js')], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'test', SEED_DEMO_DATA: 'false', LOG_LEVEL: 'error', RUN_JOBS: 'true', ...env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      onLines(stream, (line) => {
        logs.push(line);
        const banner = /GraphQL \(merchant\):\s+(http:\/\/\S+)\/graphql/.exec(line);
        if (banner) resolve(banner[1]);
      });
    }
    void exited.then(({ code, signal }) =>
      reject(new Error(`the API exited before it was ready (code ${code}, signal ${signal}):\n${logs.slice(-20).join('\n')}`)),
    );
  });
  return {
    url,
    pid: child.pid!,
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
