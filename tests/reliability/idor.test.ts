import { randomUUID } from 'node:crypto';
import { type GraphQLInputType, getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType } from 'graphql';
import { startTestApi, type TestApi } from '../support/api.js';
import { report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { committedSchema, documentFor, type IdSlot, idSlotsOf, type Operation, operationsOf } from './support/sdl.js';
import { diffSnapshots, takeSnapshot } from './support/snapshot.js';
import { buildWorld, KINDS, type Kind, type World } from './support/world.js';

type Json = Record<string, any>;

let t: TestApi;

beforeAll(async () => {
  // No background jobs: nothing but the requests under test may change a row.
  t = await startTestApi({ RUN_JOBS: 'false' });
});
afterAll(() => scanAndClose('IDOR', t));

/** The kind of the caller's own object an ID slot gets when it is not the one under test, from its name. */
function defaultKind(slot: IdSlot): Kind {
  const name = slot.path.at(-1)!;
  if (/customer/i.test(name)) return 'customer';
  if (/creditMemo/i.test(name)) return 'memo';
  if (/reader/i.test(name)) return 'reader';
  if (/vaultedCard/i.test(name)) return 'card';
  if (/dispute/i.test(name)) return 'dispute';
  if (/transaction/i.test(name)) return 'charge';
  return 'openInvoice';
}

/** Slots naming the same kind are substituted together (invoiceIds and allocations[].invoiceId stay consistent). */
const groupOf = (slot: IdSlot) => (slot.path.at(-1) === 'id' ? 'id' : defaultKind(slot));

/**
 * The id slots that name a merchant's own objects. A partner is not one: any merchant may grant any
 * partner, by the id the partner gives it (what a grant lets a partner see is the subject of tests/partners/).
 * Nor is signIn's merchantId: it chooses among the accounts an email and password open, and without a
 * real password every merchant answers alike; tests/people/staff-accounts.test.ts tries it with one.
 */
const merchantSlotsOf = (operation: Operation) =>
  idSlotsOf(operation).filter(
    (slot) => slot.path.at(-1) !== 'partnerId' && !(operation.field.name === 'signIn' && slot.path.at(-1) === 'merchantId'),
  );

/** Values a minimal valid call needs, where the type alone does not say. */
const HINTS: Record<string, unknown> = {
  paymentMethodToken: 'pm_card_visa',
  currency: 'USD',
  registrationCode: 'simulated-wpe',
  method: 'CHECK',
  email: 'idor@reliability.example',
};

/**
 * The variables of a minimal valid call: required arguments (ids among them: the slots under test
 * get `substitute`, the others the caller's own objects), amounts, and a card token unless a saved
 * card is named (the two exclude each other). Everything else optional is left out.
 */
function variablesFor(operation: Operation, own: Record<Kind, string>, group: string, substitute: string): Json {
  const sampleOf = (type: GraphQLInputType, path: string[]): { present: boolean; value?: unknown } => {
    const required = isNonNullType(type);
    const inner = required ? type.ofType : type;
    const name = path.at(-1)!;
    if (isListType(inner)) {
      const element = sampleOf(inner.ofType, path);
      return element.present || required ? { present: true, value: element.present ? [element.value] : [] } : { present: false };
    }
    const named = getNamedType(inner);
    if (named.name === 'ID') {
      const slot = { path, required };
      if (groupOf(slot) === group) return { present: true, value: substitute };
      // An optional id is left out, but for a customer: it scopes the other lookups (a saved card's).
      if (!required && defaultKind(slot) !== 'customer') return { present: false };
      return { present: true, value: own[defaultKind(slot)] };
    }
    if (isInputObjectType(named)) {
      const fields = Object.values(named.getFields()).map((field) => [field.name, sampleOf(field.type, [...path, field.name])] as const);
      const value = Object.fromEntries(fields.filter(([, v]) => v.present).map(([key, v]) => [key, v.value]));
      if (value.vaultedCardId) delete value.paymentMethodToken;
      return { present: required || Object.keys(value).length > 0, value };
    }
    if (!required && named.name !== 'MinorUnits' && name !== 'paymentMethodToken') return { present: false };
    if (name in HINTS) return { present: true, value: HINTS[name] };
    if (isEnumType(named)) return { present: true, value: named.getValues()[0].value };
    const scalars: Record<string, unknown> = {
      String: `idor-${randomUUID()}`,
      MinorUnits: '100',
      Int: 1,
      Boolean: true,
      Date: '2026-12-31',
      DateTime: new Date().toISOString(),
    };
    return { present: true, value: name === 'idempotencyKey' ? randomUUID() : scalars[named.name] };
  };
  const args = operation.field.args.map((arg) => [arg.name, sampleOf(arg.type, [arg.name])] as const);
  const variables = Object.fromEntries(args.filter(([, v]) => v.present).map(([key, v]) => [key, v.value]));
  if (variables.vaultedCardId) delete variables.paymentMethodToken;
  return variables;
}

/** Runs a call as `world`'s API key (with its supervisor token) and answers it without what varies per request. */
async function call(world: World, operation: Operation, variables: Json): Promise<Json> {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${world.merchant.apiKey}`,
      'x-supervisor-token': world.supervisorToken,
    },
    body: JSON.stringify({ query: documentFor(operation, Object.keys(variables)), variables }),
  });
  const body = (await response.json()) as Json;
  return {
    status: response.status,
    data: body.data,
    errors: body.errors?.map((error: Json) => ({
      message: error.message,
      path: error.path,
      code: error.extensions?.code,
      field: error.extensions?.field,
    })),
  };
}

describe("another merchant's ids (generated from the merchant SDL)", () => {
  it('answer exactly as unknown ids do, leak nothing and change nothing, for every operation taking an id', async () => {
    const bravo = await buildWorld(t, 'BRAVO');
    const alpha = await buildWorld(t, 'ALPHA');
    const operations = operationsOf(committedSchema('merchant')).filter((operation) => merchantSlotsOf(operation).length > 0);
    const groups = operations.flatMap((operation) =>
      [...new Set(merchantSlotsOf(operation).map(groupOf))].map((group) => ({ operation, group })),
    );
    const name = ({ operation, group }: { operation: Operation; group: string }) => `${operation.root}.${operation.field.name}(${group})`;

    // Which kinds of object each slot really looks up: a merchant's own object is answered otherwise
    // than an unknown id. A slot with none means the generated call is not valid: the test says so.
    // Each operation is tried on a merchant of its own, so that one's changes (a card deleted) do not
    // make the next one's call fail for another reason.
    const meaningful: { operation: Operation; group: string; kind: Kind }[] = [];
    const probes = new Map<Operation, World>();
    for (const target of groups) {
      if (!probes.has(target.operation)) probes.set(target.operation, await buildWorld(t, `PROBE${probes.size}`));
      const probe = probes.get(target.operation)!;
      for (const kind of KINDS) {
        const unknown = await call(probe, target.operation, variablesFor(target.operation, probe.ids, target.group, randomUUID()));
        const own = await call(probe, target.operation, variablesFor(target.operation, probe.ids, target.group, probe.ids[kind]));
        if (JSON.stringify(own) !== JSON.stringify(unknown)) meaningful.push({ ...target, kind });
      }
    }
    expect(
      groups.filter((target) => !meaningful.some((m) => m.operation === target.operation && m.group === target.group)).map(name),
    ).toEqual([]);

    const before = await takeSnapshot(t.db.url, { jobsRun: false });
    const bravoIds = Object.values(bravo.ids);
    const leaks: Json[] = [];
    for (const { operation, group, kind } of meaningful) {
      const unknown = await call(alpha, operation, variablesFor(operation, alpha.ids, group, randomUUID()));
      const foreign = await call(alpha, operation, variablesFor(operation, alpha.ids, group, bravo.ids[kind]));
      const leaked = JSON.stringify(foreign.data ?? null).includes('BRAVO') || bravoIds.some((id) => JSON.stringify(foreign).includes(id));
      if (leaked || JSON.stringify(foreign) !== JSON.stringify(unknown))
        leaks.push({ call: `${name({ operation, group })} with BRAVO's ${kind}`, foreign, unknown });
    }
    expect(leaks).toEqual([]);
    expect(diffSnapshots(before, await takeSnapshot(t.db.url, { jobsRun: false }))).toEqual([]);
    report(
      'IDOR',
      `${operations.length} operations, ${groups.length} id slots, ${meaningful.length} (slot, kind) calls with another merchant's id: all answered as an unknown id, 0 leaks, 0 rows changed`,
    );
  }, 120_000);
});
