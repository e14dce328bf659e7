import { type TemplateData, type TemplateName, render } from '@kometpay/email-templates';
import type { EntityManager } from '@mikro-orm/postgresql';
import { EmailMessage } from './email-message.entity.js';
import { enqueueJob } from '../../jobs/queue.js';

export interface QueuedEmail<N extends TemplateName> {
  merchantId: string | null;
  to: string;
  template: N;
  data: TemplateData[N];
  related?: { type: string; id: string };
}

/**
 * Renders an email and queues it in the caller's transaction: the message and its delivery job
 * commit with the state change that caused them, or not at all.
 */
export async function queueEmail<N extends TemplateName>(em: EntityManager, email: QueuedEmail<N>, now: Date): Promise<EmailMessage> {
  const rendered = render(email.template, email.data);
  const message = em.create(EmailMessage, {
    merchantId: email.merchantId,
    template: email.template,
    toAddress: email.to,
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
