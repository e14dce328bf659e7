export type { CheckoutContext } from './checkout.context.js';
export type { Context as CheckoutResolverContext } from './checkout.resolver.js';
export { PublicPaymentLinkType } from './checkout.types.js';
export { PaymentLinkStatusService } from './payment-link-status.service.js';
export type { Context as PublicBrandingResolverContext } from './public-branding.resolver.js';
export { TokenLookupLimiter } from './token-lookup-limiter.js';
