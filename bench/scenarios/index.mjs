/**
 * The benchmark's scenarios: what each measures, against which baseline measured in the same run,
 * and its target. Kept apart from the scenarios' code (loaded only when a scenario runs) so that
 * `npm run bench -- --help` answers without a build.
 *
 * A scenario module exports:
 *  - `measure(context)` -> { workload, figures, raw }: `figures` are named measured numbers only
 *    (no ratios: those are derived);
 *  - `present(figures)` -> { ours, baseline, ratio, met }: the row's text, from figures alone, so
 *    that the median of several runs (`--repeat`) is presented the same way as one run, its ratio
 *    being the ratio of the medians shown beside it;
 *  - optionally `worstOf`: figures aggregated over repeated runs by their maximum, not their median
 *    (counts of failures: one double charge in three runs must not vanish in a median).
 * context: { adminUrl, progress(message), seconds (the --seconds given, or undefined) }.
 */
import { UsageError } from '../lib/cli.mjs';

export const scenarios = [
  {
    id: 'S1',
    name: 'payment-link',
    module: new URL('./s1-payment-link.mjs', import.meta.url).href,
    measures:
      'checkout paymentLink(token) over 10,000 links (+5% unknown), 50 connections for --seconds (default 10): req/s, p50, p99, server CPU per request (and for { __typename })',
    baseline: 'bare node http + pg answering the same JSON from the same prepared SQL',
    target: 'throughput >= 0.5x; p99 <= 25 ms',
  },
  {
    id: 'S2',
    name: 'pay-with-link',
    module: new URL('./s2-pay-with-link.mjs', import.meta.url).href,
    measures:
      'payWithLink on 3,000 distinct invoices, sandbox processor at 0 ms, 50 connections: payments/s, p99, CPU per payment, double charges',
    baseline: 'one pg transaction per payment writing the same rows under the same locks (no GraphQL, ORM, idempotency table)',
    target: '>= 0.5x throughput; API CPU <= 4 ms per payment; zero double charges',
  },
  {
    id: 'S3',
    name: 'invoice-page',
    module: new URL('./s3-invoice-page.mjs', import.meta.url).href,
    measures:
      'invoices(first: 50) with customer, link, transactions over 5,000 invoices: SQL statements per request; p95, p99 of 300 sequential requests',
    baseline: 'one hand-written json_agg SQL behind bare node http',
    target: '<= 5 statements, constant; p95 <= 3x',
  },
  {
    id: 'S4',
    name: 'subscriptions',
    module: new URL('./s4-subscriptions.mjs', import.meta.url).href,
    measures: '1,000 graphql-ws partner subscribers, 10 events/s for 30 s (or --seconds): publish-to-receive p50, p99, dropped events',
    baseline: 'a bare ws server broadcasting the same bytes to 1,000 bare ws clients',
    target: 'p99 <= 100 ms; 0 dropped',
  },
  {
    id: 'S5',
    name: 'transaction-log',
    module: new URL('./s5-transaction-log.mjs', import.meta.url).href,
    measures: 'transactions(first: 50) over 1,000,000 rows, pages 1 and 1,000 (keyset), one connection: p95, p99',
    baseline: 'the same keyset SQL through pgbench',
    target: 'both p95 <= 20 ms, within 1.5x of each other',
  },
  {
    id: 'S6',
    name: 'checkout-page',
    module: new URL('./s6-checkout-page.mjs', import.meta.url).href,
    measures: 'the pay page /pay/[token]: gzipped JavaScript it loads; server render p95, p99 (API call included)',
    baseline: 'a bare SvelteKit page with one form action',
    target: 'JS <= 30 KB gz; render p95 <= 30 ms',
  },
  {
    id: 'S7',
    name: 'cold-start',
    module: new URL('./s7-cold-start.mjs', import.meta.url).href,
    measures: '`npm start` on an empty data folder until the API answers /readyz',
    baseline: 'the floor: embedded PostgreSQL initialised and started on an empty folder, then a bare node http /readyz',
    target: '<= 15 s',
  },
  {
    id: 'S8',
    name: 'console-pages',
    module: new URL('./s8-console-pages.mjs', import.meta.url).href,
    measures:
      'the console server render of the transaction log over 10,000 rows (pages 1 and 100) and of 90 days of settlement: p95; gzipped JS per page',
    baseline: 'the API query each page renders, sent alone in the same run',
    target: 'each render p95 <= 2x its query; JS <= 64 KB gz per page',
  },
];

/** The scenarios named by `--only` values (ids or names, any case, comma-separated or repeated), in S1..S7 order. */
export function selectScenarios(values) {
  if (!values?.length) return scenarios;
  const wanted = values.flatMap((value) => value.split(',')).map((value) => value.trim());
  const unknown = wanted.filter((value) => !scenarios.some((s) => matches(s, value)));
  if (unknown.length) {
    const known = scenarios.map((s) => `${s.id} (${s.name})`).join(', ');
    throw new UsageError(`unknown scenario ${unknown.map((value) => `'${value}'`).join(', ')} in --only; the scenarios are ${known}`);
  }
  return scenarios.filter((s) => wanted.some((value) => matches(s, value)));
}

const matches = (scenario, value) => scenario.id.toLowerCase() === value.toLowerCase() || scenario.name === value.toLowerCase();
