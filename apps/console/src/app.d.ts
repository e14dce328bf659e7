import type { Processor } from '$lib/processor';

declare global {
  namespace App {
    interface Locals {
      /** Forwarded to the API on every call (x-request-id), and answered on the response. */
      requestId?: string;
      /** Set by the signed-in layout: the card form's origins join the page's Content-Security-Policy. */
      processor?: Processor;
    }
  }
}

export {};
