import type { ConsoleProcessorQuery } from '@kometpay/schema/merchant';

/** Where the card form sends card details: the sandbox's tokeniser, or Stripe.js with the publishable key. */
export type Processor = ConsoleProcessorQuery['processor'];
