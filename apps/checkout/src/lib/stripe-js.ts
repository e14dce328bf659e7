/**
 * Stripe mode: Stripe.js, loaded from js.stripe.com (Stripe requires it; it is never bundled) only
 * when the processor is Stripe, so the sandbox page ships none of it. Only what the pay page uses is
 * typed here (the pay page's and the add-card page's).
 */

export interface StripeError {
  message?: string;
}

export interface StripePaymentElement {
  mount(node: HTMLElement): void;
  on(event: 'ready' | 'change', handler: () => void): void;
  destroy(): void;
}

export interface StripeElements {
  create(type: 'payment', options?: { layout?: 'tabs' | 'accordion' }): StripePaymentElement;
  submit(): Promise<{ error?: StripeError }>;
}

/** What the Payment Element is for: a payment of an amount (in minor units), or saving a card ('setup'). */
export type StripeIntent = { mode: 'payment'; amount: number; currency: string } | { mode: 'setup' };

export interface Stripe {
  elements(
    options: StripeIntent & {
      paymentMethodCreation: 'manual';
      paymentMethodTypes: string[];
      appearance?: { theme?: 'stripe'; variables?: Record<string, string> };
    },
  ): StripeElements;
  createPaymentMethod(options: { elements: StripeElements }): Promise<{ error?: StripeError; paymentMethod?: { id: string } }>;
  /** Runs what a PaymentIntent waits for (3-D Secure: the bank's check, in a frame over the page). */
  handleNextAction(options: { clientSecret: string }): Promise<{ error?: StripeError }>;
}

declare global {
  interface Window {
    Stripe?: (publishableKey: string, options?: { stripeAccount?: string }) => Stripe;
  }
}

const STRIPE_JS_URL = 'https://js.stripe.com/v3/';

/** Stripe.js, started for the merchant's connected account when given (direct charges: the payment method must be made there). */
export function loadStripe(publishableKey: string, stripeAccount: string | null = null): Promise<Stripe> {
  const options = stripeAccount ? { stripeAccount } : undefined;
  return new Promise((resolve, reject) => {
    if (window.Stripe) return resolve(window.Stripe(publishableKey, options));
    const script = document.createElement('script');
    script.src = STRIPE_JS_URL;
    script.onload = () => (window.Stripe ? resolve(window.Stripe(publishableKey, options)) : reject(new Error('Stripe.js did not start')));
    script.onerror = () => reject(new Error('Stripe.js could not be loaded'));
    document.head.append(script);
  });
}
