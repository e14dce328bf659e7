import type { Processor } from '$lib/payment-link';

declare global {
  namespace App {
    interface Locals {
      /** Set by a payment page's load: its tokeniser's origins join the page's Content-Security-Policy. */
      processor?: Processor;
    }
  }
}
export {};
