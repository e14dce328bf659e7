export { expirePaymentLinks } from './expire-payment-links.job.js';
export { PaymentLink } from './payment-link.entity.js';
export { type IssuedLink, PaymentLinkService, type PublicLinkView, publicLinkSql, publicLinkView } from './payment-link.service.js';
export { PaymentLinkType } from './payment-link.types.js';
