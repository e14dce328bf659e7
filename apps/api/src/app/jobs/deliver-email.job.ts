import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { isEmailAddress } from '../../domain/email-address.js';
import type { Logger } from '../../kit/logger.js';
import { EmailMessage, EmailStatus, LOGO_CONTENT_ID, type MailTransport } from '../../modules/email/index.js';
import { MerchantLogo } from '../../modules/merchant/index.js';

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
  // Addresses are checked where they are accepted; one stored before that check is never written into a header.
  if (!isEmailAddress(message.toAddress)) {
    Object.assign(message, {
      status: EmailStatus.FAILED,
      lastError: 'The recipient address is not a valid email address',
      htmlBody: null,
      textBody: null,
    });
    await em.flush();
    deps.logger.warn({ emailId }, 'email not sent: invalid recipient address');
    return;
  }
  message.attempts += 1;
  try {
    // The logo travels inside the email (multipart/related) rather than as a remote image: shown
    // without "load images", and no request to us each time a customer opens the email.
    const logo =
      message.merchantId && message.htmlBody?.includes(`cid:${LOGO_CONTENT_ID}`)
        ? await em.findOne(MerchantLogo, { merchant: message.merchantId })
        : null;
    const { messageId } = await deps.transport.send({
      from: deps.mailFrom,
      to: message.toAddress,
      ...(message.replyTo ? { replyTo: message.replyTo } : {}),
      ...(logo
        ? {
            attachments: [
              {
                filename: `logo.${logo.contentType.split('/')[1].replace('svg+xml', 'svg').replace('jpeg', 'jpg')}`,
                content: Buffer.from(logo.data),
                contentType: logo.contentType,
                cid: LOGO_CONTENT_ID,
              },
            ],
          }
        : {}),
      subject: message.subject,
      html: message.htmlBody ?? '',
      text: message.textBody ?? '',
      messageId: `<${message.id}@kometpay>`,
    });
    Object.assign(message, {
      status: EmailStatus.SENT,
      sentAt: deps.clock.now(),
      transportMessageId: messageId,
      htmlBody: null,
      textBody: null,
      lastError: null,
    });
    await em.flush();
  } catch (error) {
    message.lastError = error instanceof Error ? error.message : String(error);
    await em.flush();
    deps.logger.warn({ emailId, attempts: message.attempts, err: error }, 'email delivery failed; will retry');
    throw error;
  }
}
