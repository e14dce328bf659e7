import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../logger.js';
import { EmailMessage, EmailStatus } from '../modules/email/email-message.entity.js';
import type { MailTransport } from '../modules/email/mail-transport.js';

export interface DeliverEmailDeps {
  em: () => EntityManager;
  transport: MailTransport;
  mailFrom: string;
  clock: Clock;
  logger: Logger;
}

/**
 * Hands one queued message to the mail transport. A failure throws, so graphile-worker retries it
 * with exponential backoff; once sent, the bodies (which may hold a link token) are erased.
 */
export async function deliverEmail(emailId: string, deps: DeliverEmailDeps): Promise<void> {
  const em = deps.em();
  const message = await em.findOne(EmailMessage, { id: emailId });
  if (!message || message.status === EmailStatus.SENT) return;
  message.attempts += 1;
  try {
    const { messageId } = await deps.transport.send({
      from: deps.mailFrom,
      to: message.toAddress,
      subject: message.subject,
      html: message.htmlBody ?? '',
      text: message.textBody ?? '',
      messageId: `<${message.id}@kometpay>`,
    });
    Object.assign(message, { status: EmailStatus.SENT, sentAt: deps.clock.now(), transportMessageId: messageId, htmlBody: null, textBody: null, lastError: null });
    await em.flush();
  } catch (error) {
    message.lastError = error instanceof Error ? error.message : String(error);
    await em.flush();
    deps.logger.warn({ emailId, attempts: message.attempts, err: error }, 'email delivery failed; will retry');
    throw error;
  }
}
