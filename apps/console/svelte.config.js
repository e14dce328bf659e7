import adapter from '@sveltejs/adapter-node';

/** @type {import('@sveltejs/kit').Config} */
export default {
  kit: {
    adapter: adapter({ out: 'build' }),
    // The base policy; SvelteKit adds a hash of its inline bootstrap script to each page ('hash' mode).
    // The origins a card form needs (the sandbox's tokeniser, or Stripe.js) and the API's (the merchant's
    // logo) are known at run time only: src/hooks.server.ts adds them. They are on every page, not only
    // on the card forms' pages, because the console navigates in the browser: the policy of the first
    // page loaded stays in force for the pages reached from it.
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['none'],
        'script-src': ['self'],
        'style-src': ['self'],
        // SvelteKit's route announcer (read by screen readers after each navigation) is the one element
        // with a style attribute: allowed by the hash of exactly that attribute, nothing else inline.
        'style-src-attr': ['unsafe-hashes', 'sha256-S8qMpvofolR8Mpjy4kQvEm7m1q8clzU4dfDH0AmvZjo='],
        'img-src': ['self', 'data:'],
        'connect-src': ['self'],
        'font-src': ['self'],
        'frame-ancestors': ['none'],
        'base-uri': ['none'],
        'form-action': ['self'],
      },
    },
  },
};
