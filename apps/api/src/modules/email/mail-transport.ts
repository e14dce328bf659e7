import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  from: string;
  to: string;
  replyTo?: string;
  /** Inline images, referenced from the HTML as cid:<cid>. */
  attachments?: { filename: string; content: Buffer; contentType: string; cid: string }[];
  subject: string;
  html: string;
  text: string;
  messageId: string;
}

export interface MailTransport {
  /** Resolves once the message is accepted; rejects when it should be retried. */
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  describe(): string;
}

/** SMTP through nodemailer (`SMTP_URL`, e.g. smtp://user:pass@mail.example.com:587). */
export function smtpTransport(smtpUrl: string): MailTransport {
  const transporter = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      const info = await transporter.sendMail(mail);
      return { messageId: info.messageId };
    },
    describe: () => `SMTP ${new URL(smtpUrl).host}`,
  };
}

/** The embedded default: each message written as an .eml file, openable by any mail client. */
export function fileTransport(directory: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transporter.sendMail(mail);
      await mkdir(directory, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      await writeFile(path.join(directory, `${stamp}-${mail.messageId.replace(/[<>@]/g, '')}.eml`), info.message as Buffer);
      return { messageId: info.messageId };
    },
    describe: () => `files in ${directory}`,
  };
}
