import { ConsoleProcessorDocument } from '@kometpay/schema/merchant';
import type { Processor } from '$lib/processor';
import type { MerchantApi } from './api';

/** The API's processor changes only with its deployment: asked once in a while, not on every page. */
const KEEP_MS = 5 * 60_000;
let cached: { processor: Processor; until: number } | undefined;

export async function processorOf(api: MerchantApi, now = Date.now()): Promise<Processor> {
  if (cached && cached.until > now) return cached.processor;
  const { processor } = await api.request(ConsoleProcessorDocument);
  cached = { processor, until: now + KEEP_MS };
  return processor;
}

type Directive = 'script-src' | 'connect-src' | 'frame-src';
export type Sources = Partial<Record<Directive, string[]>>;

const STRIPE_JS = 'https://js.stripe.com';

/** What the card form needs beyond 'self': the sandbox tokeniser's origin, or Stripe.js and its frames and API. */
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
    if (directive) directive.push(...values.filter((value) => !directive.includes(value)));
    else directives.push([name, ...values]);
  }
  return directives.map((directive) => directive.join(' ')).join('; ');
}
