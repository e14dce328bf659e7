import type { Processor } from '$lib/payment-link';
import type { Theme } from '$lib/server/branding';

declare global {
  namespace App {
    interface Locals {
      /** Set by a payment page's load: its tokeniser's origins join the page's Content-Security-Policy. */
      processor?: Processor;
      /** Set by a branded page's load: its logo's origin and its inline theme's hash join the policy. */
      theme?: Theme;
    }
  }
}

export {};
