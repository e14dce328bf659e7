import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../reliability/support/child-api.js';
import { startSmtpServer } from '../support/smtp.js';

/** An SMTP client over a raw socket, as far as `DATA` and some of a message: then it dies (a reset). */
async function dieMidMessage(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  const reply = (code: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (new RegExp(`^${code} `, 'm').test(received)) {
          received = '';
          socket.off('data', onData);
          resolve();
        }
      };
      const onData = (chunk: Buffer) => {
        received += chunk.toString('latin1');
        check();
      };
      socket.on('data', onData);
      socket.once('error', reject);
      check();
    });
  await reply('220');
  for (const [command, code] of [
    ['EHLO api-2.example', '250'],
    ['MAIL FROM:<receipts@kometpay.example>', '250'],
    ['RCPT TO:<ap@bloom.example>', '250'],
    ['DATA', '354'],
  ]) {
    socket.write(`${command}\r\n`);
    await reply(code);
  }
  socket.write('Subject: Receipt\r\n\r\nThe first half of a rec');
  socket.resetAndDestroy();
}

/** A whole message through nodemailer, as the API sends one. */
async function send(url: string): Promise<void> {
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport(url);
  await transport.sendMail({ from: 'receipts@kometpay.example', to: 'ap@bloom.example', subject: 'Receipt', text: 'Paid.' });
  transport.close();
}

// An API instance killed while it sends a receipt (the cluster's SIGKILL test, the soak) resets its
// SMTP connection mid-message; smtp-server reports that as an 'error' event on the server, which
// throws in the process hosting the sink unless someone listens.
describe('the SMTP servers the tests and the cluster deliver to', () => {
  it("the cluster's mail sink stays up when a sender dies mid-message, and takes the next message", async () => {
    const { startMailSink } = (await import(path.join(repoRoot, 'bench/lib/mail-sink.mjs'))) as {
      startMailSink(dir: string): Promise<{ url: string; received(): number; close(): Promise<void> }>;
    };
    const sink = await startMailSink(await mkdtemp(path.join(os.tmpdir(), 'kometpay-mail-sink-')));
    try {
      await dieMidMessage(sink.url);
      await send(sink.url);
      expect(sink.received()).toBe(1);
    } finally {
      await sink.close();
    }
  });

  it('the test mailbox does too', async () => {
    const mailbox = await startSmtpServer();
    try {
      await dieMidMessage(mailbox.url);
      await send(mailbox.url);
      expect(mailbox.messages.map((message) => message.subject)).toEqual(['Receipt']);
    } finally {
      await mailbox.close();
    }
  });
});
