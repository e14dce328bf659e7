import adapter from '@sveltejs/adapter-node';

/** @type {import('@sveltejs/kit').Config} */
export default {
  kit: {
    adapter: adapter({ out: 'build' }),
    output: { bundleStrategy: 'single' },
    // The base policy, with a hash of SvelteKit's inline bootstrap script added per page ('hash' mode;
    // SvelteKit computes it at render time). Hashes rather than nonces: the page is rendered per
    // request either way, and a hash ties the allowance to that exact script. The origins a payment
    // page needs (the sandbox tokeniser, Stripe.js) are known only at runtime, from the API, so
    // src/hooks.server.ts adds them to this policy on the pages that need them.
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['none'],
        'script-src': ['self'],
        'style-src': ['self'],
        'img-src': ['self'],
        'connect-src': ['self'],
        'frame-ancestors': ['none'],
        'base-uri': ['none'],
        'form-action': ['self'],
      },
    },
  },
};
