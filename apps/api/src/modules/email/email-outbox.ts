import { render, type TemplateData, type TemplateName } from '@kometpay/email-templates';
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueJob } from '../../kit/jobs/queue.js';
import { Merchant, textColorOn } from '../merchant/index.js';
import { EmailMessage } from './email-message.entity.js';

/** The content id of the merchant logo attached to an email (multipart/related); deliverEmail attaches it. */
export const LOGO_CONTENT_ID = 'merchant-logo@kometpay';

export interface QueuedEmail<N extends TemplateName> {
  /** A stable id makes the email once-only: a second queueing of it fails on the primary key. */
  id?: string;
  merchantId: string | null;
  to: string;
  template: N;
  data: TemplateData[N];
  related?: { type: string; id: string };
  /** customer (default): the merchant's customers, who get its support address as Reply-To; staff: its own people. */
  audience?: 'customer' | 'staff';
}

/**
 * Renders an email and queues it in the caller's transaction: the message and its delivery job
 * commit with the state change that caused them, or not at all. Every email of a merchant carries
 * its branding (logo, accent colour); one to its customers also its support address, as Reply-To
 * and in the text, so that a customer's reply reaches the merchant rather than us.
 */
export async function queueEmail<N extends TemplateName>(em: EntityManager, email: QueuedEmail<N>, now: Date): Promise<EmailMessage> {
  const merchant = email.merchantId ? await em.findOne(Merchant, { id: email.merchantId }) : null;
  const toCustomer = (email.audience ?? 'customer') === 'customer';
  const supportEmail = toCustomer ? (merchant?.supportEmail ?? null) : null;
  const data = merchant
    ? {
        ...email.data,
        ...(supportEmail && !('supportEmail' in email.data && email.data.supportEmail) ? { supportEmail } : {}),
        brand: {
          logoSrc: merchant.logoDigest ? `cid:${LOGO_CONTENT_ID}` : null,
          accentColor: merchant.accentColor ?? null,
          accentTextColor: merchant.accentColor ? textColorOn(merchant.accentColor) : null,
        },
      }
    : email.data;
  const rendered = render(email.template, data as TemplateData[N]);
  const message = em.create(EmailMessage, {
    ...(email.id ? { id: email.id } : {}),
    merchantId: email.merchantId,
    template: email.template,
    toAddress: email.to,
    replyTo: supportEmail,
    subject: rendered.subject,
    htmlBody: rendered.html,
    textBody: rendered.text,
    relatedType: email.related?.type ?? null,
    relatedId: email.related?.id ?? null,
    createdAt: now,
  });
  await enqueueJob(em, 'deliver-email', { emailId: message.id }, { maxAttempts: 12 });
  return message;
}
