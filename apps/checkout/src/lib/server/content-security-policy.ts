import type { Processor } from '$lib/payment-link';

type Directive = 'script-src' | 'connect-src' | 'frame-src' | 'img-src' | 'style-src';
export type Sources = Partial<Record<Directive, string[]>>;

const STRIPE_JS = 'https://js.stripe.com';

/**
 * What a payment page needs beyond 'self': in sandbox mode the browser posts card and bank details
 * to the tokeniser's origin; in Stripe mode Stripe.js runs from js.stripe.com, frames its fields
 * from there (and hooks.stripe.com for 3-D Secure and bank verification) and calls api.stripe.com.
 */
export function processorSources(processor: Processor | undefined): Sources {
  if (!processor) return {};
  if (processor.kind === 'STRIPE') {
    return { 'script-src': [STRIPE_JS], 'frame-src': [STRIPE_JS, 'https://hooks.stripe.com'], 'connect-src': ['https://api.stripe.com'] };
  }
  return processor.tokeniserUrl ? { 'connect-src': [new URL(processor.tokeniserUrl).origin] } : {};
}

/** Adds sources to a policy's directives (creating the directives it lacks). */
export function withSources(policy: string, sources: Sources): string {
  const directives = policy
    .split(';')
    .map((directive) => directive.trim().split(/\s+/))
    .filter(([name]) => name);
  for (const [name, values] of Object.entries(sources)) {
    const directive = directives.find(([existing]) => existing === name);
    if (directive) directive.push(...values);
    else directives.push([name, ...values]);
  }
  return directives.map((directive) => directive.join(' ')).join('; ');
}
