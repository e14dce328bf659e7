import { spawn } from 'node:child_process';
import path from 'node:path';
import { root } from './postgres.mjs';

/**
 * What `npm run bench` and `npm run soak` do before measuring: check that this is the pinned
 * Node 24, then build every workspace with turbo (a no-op from its cache when nothing changed).
 * Run after the command line is parsed, so that `--help` and a refused option answer at once.
 */
export async function checkNodeAndBuild() {
  await import(path.join(root, 'scripts/check-node.mjs'));
  const code = await new Promise((resolve) => {
    const child = spawn(path.join(root, 'node_modules/.bin/turbo'), ['run', 'build', '--output-logs=errors-only'], {
      cwd: root,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      stdio: 'inherit',
    });
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`the build failed (turbo exited with ${code})`);
}
