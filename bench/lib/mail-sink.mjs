/**
 * A local SMTP server that keeps every message as an .eml file in `dir`: production mode needs
 * SMTP_URL, and the soak and the cluster rehearsal run in production mode on one machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

export async function startMailSink(dir) {
  mkdirSync(dir, { recursive: true });
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('end', () => {
        writeFileSync(path.join(dir, `${Date.now()}-${++count}.eml`), Buffer.concat(chunks));
        callback();
      });
    },
  });
  // A sender killed mid-message (an API instance in the cluster's SIGKILL test or the soak) resets its
  // connection: smtp-server reports it as the server's 'error' event, which throws in the process
  // hosting the sink unless handled. The message was not accepted; the sender's job sends it again.
  server.on('error', (error) => {
    if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') console.error(`mail sink: ${error.message}`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    received: () => count,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
