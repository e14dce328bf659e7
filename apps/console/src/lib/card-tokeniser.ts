import type { Processor } from './processor';

/** The processor's refusal of the card details, naming the field it is about (Stripe's `param`, e.g. `card[number]`). */
export class CardRefused extends Error {
  constructor(
    message: string,
    readonly param: string | null,
  ) {
    super(message);
  }
}

export interface SandboxCard {
  number: string;
  expMonth: string;
  expYear: string;
  cvc: string;
}

/**
 * Sandbox mode: the browser posts the card straight to the processor's tokeniser (Stripe's
 * create-PaymentMethod shape) and gets a `pm_...` token back; the console's server sees the token only.
 */
export async function tokeniseInSandbox(tokeniserUrl: string, card: SandboxCard): Promise<string> {
  const body = new URLSearchParams({
    type: 'card',
    'card[number]': card.number.replace(/[\s-]/g, ''),
    'card[exp_month]': card.expMonth.trim(),
    'card[exp_year]': card.expYear.trim(),
    'card[cvc]': card.cvc.trim(),
  });
  const response = await fetch(tokeniserUrl, { method: 'POST', body, credentials: 'omit' });
  const answer: { id?: string; error?: { message?: string; param?: string } } | null = await response.json().catch(() => null);
  if (response.ok && answer?.id) return answer.id;
  throw new CardRefused(answer?.error?.message ?? 'The card could not be checked. Please try again.', answer?.error?.param ?? null);
}

/** Stripe.js, only what the card form uses. It is loaded from js.stripe.com (Stripe requires it), only in Stripe mode. */
export interface StripeElements {
  create(
    type: 'payment',
    options?: { layout?: 'tabs' },
  ): { mount(node: HTMLElement): void; destroy(): void; on(event: 'ready', handler: () => void): void };
  submit(): Promise<{ error?: { message?: string } }>;
}
export interface Stripe {
  elements(options: { mode: 'setup'; currency: string; paymentMethodCreation: 'manual'; paymentMethodTypes: string[] }): StripeElements;
  createPaymentMethod(options: { elements: StripeElements }): Promise<{ error?: { message?: string }; paymentMethod?: { id: string } }>;
}

declare global {
  interface Window {
    Stripe?: (publishableKey: string) => Stripe;
  }
}

export function loadStripe(processor: Processor): Promise<Stripe> {
  const key = processor.publishableKey;
  if (!key) return Promise.reject(new Error('No Stripe publishable key is configured'));
  return new Promise((resolve, reject) => {
    if (window.Stripe) return resolve(window.Stripe(key));
    const script = document.createElement('script');
    script.src = 'https://js.stripe.com/v3/';
    script.onload = () => (window.Stripe ? resolve(window.Stripe(key)) : reject(new Error('Stripe.js did not start')));
    script.onerror = () => reject(new Error('Stripe.js could not be loaded'));
    document.head.append(script);
  });
}
