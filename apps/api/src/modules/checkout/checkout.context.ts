import type { BaseContext } from '../../kit/graphql/context.js';
import type { TokenLookupLimiter } from './token-lookup-limiter.js';

/** The public checkout schema: no actor; what a request may touch is decided by the token it carries. */
export interface CheckoutContext<Services> extends BaseContext<Services> {
  tokenLookups: TokenLookupLimiter;
}
