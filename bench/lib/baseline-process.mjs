import { fork } from 'node:child_process';

/** Starts a baseline server script as its own process; resolves once it listens. */
export function startBaseline(script, args) {
  const child = fork(script, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', () =>
      resolve({
        pid: child.pid,
        stop: () =>
          new Promise((done) => {
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      }),
    );
    child.once('exit', (code) => reject(new Error(`baseline ${script} exited with ${code}`)));
  });
}
