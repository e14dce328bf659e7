export { EmailMessage, EmailStatus } from './email-message.entity.js';
export { LOGO_CONTENT_ID, queueEmail } from './email-outbox.js';
export { fileTransport, type MailTransport, smtpTransport } from './mail-transport.js';
