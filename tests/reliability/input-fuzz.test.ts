import fc from 'fast-check';
import { isNonNullType } from 'graphql';
import { startTestApi, type TestApi } from '../support/api.js';
import { assertInvariant } from './invariant.js';
import { arbitraryFor, hostileValues, type KnownValues, leavesOf, plausibleValue, withLeaf } from './support/arbitraries.js';
import { LONG_FORM, pick, report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { committedSchema, documentFor, type Operation, operationsOf } from './support/sdl.js';
import { diffSnapshots, takeSnapshot } from './support/snapshot.js';
import { buildWorld, type World } from './support/world.js';

type Json = Record<string, any>;

let t: TestApi;
let world: World;

beforeAll(async () => {
  // No background jobs (only the calls under test change rows); no per-IP limit (every call comes from here).
  t = await startTestApi({ RUN_JOBS: 'false', TOKEN_LOOKUP_MAX_MISSES: '1000000' });
  world = await buildWorld(t, 'FUZZ');
});
afterAll(() => scanAndClose('input fuzz', t));

interface Target {
  operation: Operation;
  endpoint: string;
  headers: Record<string, string>;
}

/** The caller's own object for an ID field, by its name. */
function idFor(fieldName: string): string {
  const ids = world.ids;
  if (/customer/i.test(fieldName)) return ids.customer;
  if (/creditMemo/i.test(fieldName)) return ids.memo;
  if (/reader/i.test(fieldName)) return ids.reader;
  if (/vaultedCard/i.test(fieldName)) return ids.card;
  if (/transaction/i.test(fieldName)) return ids.charge;
  return ids.openInvoice;
}

function targets(): Target[] {
  const merchantHeaders = { authorization: `Bearer ${world.merchant.apiKey}`, 'x-supervisor-token': world.supervisorToken };
  return [
    ...operationsOf(committedSchema('merchant'))
      .filter((o) => o.root === 'Mutation')
      .map((operation) => ({ operation, endpoint: '/graphql', headers: merchantHeaders })),
    ...operationsOf(committedSchema('checkout'))
      .filter((o) => o.root === 'Mutation')
      .map((operation) => ({ operation, endpoint: '/checkout/graphql', headers: {} })),
  ];
}

const outcomes: Record<string, number> = {};

/** One call: never an internal error, and if refused, not a row changed. */
async function probe({ operation, endpoint, headers }: Target, variables: Json): Promise<void> {
  const before = await takeSnapshot(t.db.url, { jobsRun: false });
  const document = documentFor(
    operation,
    operation.field.args.map((arg) => arg.name),
  );
  const response = await fetch(`${t.url}${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: document, variables }),
  });
  const text = await response.text();
  let body: Json | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const codes: string[] = body?.errors?.map((error: Json) => String(error.extensions?.code)) ?? [];
  const outcome = body?.errors
    ? `${response.status} ${codes[0]}`
    : body
      ? `${response.status} accepted`
      : `${response.status} (not GraphQL)`;
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  const internal = response.status >= 500 || codes.includes('INTERNAL_SERVER_ERROR');
  const call = { operation: operation.field.name, variables: JSON.stringify(variables).slice(0, 300) };
  expect({ ...call, internal, answer: internal ? text.slice(0, 500) : null }).toEqual({ ...call, internal: false, answer: null });
  if (!body?.data?.[operation.field.name])
    expect({ ...call, changes: diffSnapshots(before, await takeSnapshot(t.db.url, { jobsRun: false })) }).toEqual({ ...call, changes: [] });
}

describe('bad input to every mutation of both schemas (generated from the SDL)', () => {
  it(
    'never answers INTERNAL_SERVER_ERROR, and a refused call changes no row',
    async () => {
      const known: KnownValues = {
        idFor,
        byName: {
          paymentMethodToken: 'pm_card_visa',
          currency: 'USD',
          registrationCode: 'simulated-wpe',
          method: 'CHECK',
          email: 'fuzz@reliability.example',
          password: world.merchant.supervisorPassword,
          token: world.linkToken,
        },
      };
      const all = targets();

      // Systematically: a plausible call with one field at a time made hostile (the short form: the worst value of its type).
      let swept = 0;
      for (const target of all) {
        for (const arg of target.operation.field.args) {
          for (const leaf of leavesOf(arg.type)) {
            for (const hostile of hostileValues(leaf.type, LONG_FORM)) {
              const variables = Object.fromEntries(
                target.operation.field.args
                  .filter((a) => isNonNullType(a.type) || a === arg)
                  .map((a) => [a.name, plausibleValue(a.type, a.name, known, a === arg ? leaf.path : [])]),
              );
              variables[arg.name] = withLeaf(variables[arg.name], leaf.path, hostile);
              await probe(target, variables);
              swept++;
            }
          }
        }
      }

      // Randomly (fast-check): every field plausible or hostile, null or missing.
      const runsEach = Math.ceil(pick(50, 2_000) / all.length);
      for (const target of all) {
        const args = target.operation.field.args;
        const variables = fc.record(Object.fromEntries(args.map((arg) => [arg.name, arbitraryFor(arg.type, arg.name, known)])), {
          requiredKeys: args.filter((arg) => isNonNullType(arg.type)).map((arg) => arg.name),
        });
        await fc.assert(
          fc.asyncProperty(variables, (values) => probe(target, values)),
          { numRuns: runsEach },
        );
      }
      await assertInvariant({ databaseUrl: t.db.url, merchants: [world.merchant] });
      report(
        'input fuzz',
        `${all.length} mutations: ${swept} calls with one hostile field, ${runsEach * all.length} random calls (fast-check); 0 INTERNAL_SERVER_ERROR, 0 rows changed by a refused call; answers ${JSON.stringify(Object.fromEntries(Object.entries(outcomes).sort()))}`,
      );
    },
    pick(180_000, 1_800_000),
  );
});
