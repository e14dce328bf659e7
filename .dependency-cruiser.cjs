/**
 * The API's layer rule (DESIGN.md section 2), checked by `npm run lint` and so by `npm test`.
 * apps/api/src: app/ -> modules/ -> processors/ -> kit/ -> domain/ -> packages; each layer imports
 * only from the layers below it. A module uses another only through that module's index.ts.
 */
const src = '^apps/api/src/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-only-domain',
      comment:
        'domain/ is money, state machines and domain errors: nothing from the layers above, and no framework; ' +
        'the few small pure libraries it may use are named here (our money package, validator, ipaddr.js).',
      severity: 'error',
      from: { path: `${src}domain/` },
      to: { dependencyTypesNot: ['core'], pathNot: [`${src}domain/`, '^packages/money/', '^node_modules/(validator|ipaddr\\.js)/'] },
    },
    {
      name: 'kit-imports-no-feature',
      comment: 'kit/ holds framework helpers with no feature knowledge: it may import domain/ only.',
      severity: 'error',
      from: { path: `${src}kit/` },
      to: { path: `${src}(app|modules|processors)/` },
    },
    {
      name: 'processors-import-no-feature',
      comment: 'processors/ (the port and its adapters) may import kit/ and domain/, never a module or app/.',
      severity: 'error',
      from: { path: `${src}processors/` },
      to: { path: `${src}(app|modules)/` },
    },
    {
      name: 'modules-import-no-app',
      comment: 'app/ composes the modules; a module never reaches up into it.',
      severity: 'error',
      from: { path: `${src}modules/` },
      to: { path: `${src}app/` },
    },
    {
      name: 'module-through-its-index',
      comment: "A module uses another only through that module's index.ts, never its inner files.",
      severity: 'error',
      from: { path: `${src}modules/([^/]+)/` },
      to: { path: `${src}modules/`, pathNot: [`${src}modules/$1/`, `${src}modules/[^/]+/index\\.ts$`] },
    },
    {
      name: 'app-through-module-index',
      comment: 'app/ uses a module through its index.ts; only app/schema.ts takes resolver classes from their files.',
      severity: 'error',
      from: { path: `${src}app/`, pathNot: `${src}app/schema\\.ts$` },
      to: { path: `${src}modules/`, pathNot: `${src}modules/[^/]+/index\\.ts$` },
    },
    {
      name: 'schema-takes-only-resolvers',
      severity: 'error',
      from: { path: `${src}app/schema\\.ts$` },
      to: { path: `${src}modules/`, pathNot: [`${src}modules/[^/]+/index\\.ts$`, '\\.resolver\\.ts$'] },
    },
    {
      name: 'tests-through-test-kit',
      comment: 'End-to-end tests and benchmarks reach the API through apps/api/src/app/test-kit.ts only.',
      severity: 'error',
      from: { path: '^(tests|bench)/' },
      to: { path: src, pathNot: `${src}app/test-kit\\.ts$` },
    },
    {
      name: 'src-not-to-tests',
      comment: 'The API never imports test code; unit tests (__tests__) may use tests/support (the Stripe mock).',
      severity: 'error',
      from: { path: src, pathNot: '/__tests__/' },
      to: { path: '^tests/' },
    },
    {
      name: 'only-the-stripe-adapter-imports-stripe',
      comment: 'The processor port speaks our words; only processors/stripe/ knows the Stripe SDK.',
      severity: 'error',
      from: { path: src, pathNot: `${src}processors/stripe/` },
      to: { path: '^node_modules/stripe/' },
    },
    {
      name: 'no-runtime-cycle',
      comment:
        'A cycle of imports that survive compilation lets a file run before one it needs (a decorator, a top-level ' +
        'constant meets an uninitialised class or value), depending on which file is loaded first. Type-only imports do not count.',
      severity: 'error',
      from: { path: src },
      // One known exception: queueEmail (email-outbox.ts) reads the merchant's branding when it runs, and
      // the merchant module sends staff invitations by email. Both use the other only inside functions,
      // so no file runs early; passing the branding in from the caller would remove the cycle.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'], pathNot: '^apps/api/src/modules/email/email-outbox\\.ts$' } },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that resolves to nothing would hide a dependency from the rules above.',
      severity: 'error',
      from: {},
      // The workspace packages resolve to their build: `npm run lint` must not need one. The typed
      // document node package ships types only.
      to: { couldNotResolve: true, pathNot: ['^@kometpay/', '^@graphql-typed-document-node/'] },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '^packages/[^/]+/dist/'] },
    exclude: { path: ['^apps/[^/]+/(dist|build|\\.svelte-kit)/', '^bench/fixtures/'] },
    tsConfig: { fileName: 'tsconfig.base.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
