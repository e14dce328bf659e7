import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { startTestApi, type TestApi } from '../support/api.js';
import { rawPost } from '../support/graphql.js';
import { PRODUCTION_ENV } from '../support/production-env.js';
import { Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { pick, report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { diffSnapshots, takeSnapshot } from './support/snapshot.js';

const MAX_MISSES = 30;

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  t = await startTestApi({ TOKEN_LOOKUP_MAX_MISSES: String(MAX_MISSES) });
  shop = await Shop.open(await t.createMerchant('Guarded Flowers'), t.url);
});
afterAll(() => scanAndClose('query abuse', t));

const asMerchant = () => ({ authorization: `Bearer ${shop.merchant.apiKey}` });
const CREATE_CUSTOMER = 'createCustomer(input: { name: "Abuser", email: "abuse@reliability.example" }) { id }';

describe('hostile queries', () => {
  it('rejects depth 20, 1,000 aliases and a 100-operation batch before executing anything', async () => {
    const { id: invoiceId } = await shop.sentInvoice(1_000);
    // invoice > (customer > invoices > edges > node) x 5 > id: 22 levels deep.
    let selection = 'id';
    for (let level = 0; level < 5; level++) selection = `customer { invoices(first: 1) { edges { node { ${selection} } } } }`;
    const attacks: Record<string, string> = {
      'depth 22': JSON.stringify({ query: `{ invoice(id: "${invoiceId}") { ${selection} } }` }),
      '1,000 aliased reads': JSON.stringify({ query: `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: merchant { id }`).join(' ')} }` }),
      '1,000 aliased mutations': JSON.stringify({
        query: `mutation { ${Array.from({ length: 1000 }, (_, i) => `a${i}: ${CREATE_CUSTOMER}`).join(' ')} }`,
      }),
      '100-operation batch': JSON.stringify(Array.from({ length: 100 }, () => ({ query: `mutation { ${CREATE_CUSTOMER} }` }))),
    };
    await t.jobsIdle();
    const before = await takeSnapshot(t.db.url);
    const outcomes: Record<string, string> = {};
    for (const [name, body] of Object.entries(attacks)) {
      t.queries.length = 0;
      const answer = await rawPost(`${t.url}/graphql`, body, asMerchant());
      outcomes[name] = `${answer.status} ${answer.json?.errors?.[0]?.extensions?.code}: ${answer.json?.errors?.[0]?.message}`;
      expect({ name, status: answer.status, data: answer.json?.data }).toEqual({ name, status: 400, data: undefined });
      expect(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST']).toContain(answer.json.errors[0].extensions.code);
      // Only the API key was read: no resolver ran.
      expect(t.queries.filter((sql) => !/"api_key"/.test(sql))).toEqual([]);
    }
    expect(diffSnapshots(before, await takeSnapshot(t.db.url))).toEqual([]);
    report(
      'query abuse',
      `${Object.keys(attacks).length} attacks, all refused before execution: ${JSON.stringify(outcomes)}, 0 rows changed`,
    );
  });

  it('turns introspection off in production, on both schemas', async () => {
    const production = await startTestApi(PRODUCTION_ENV);
    try {
      const merchant = await production.createMerchant();
      const probes = ['{ __schema { types { name } } }', '{ __type(name: "Mutation") { fields { name } } }'];
      const answers = [];
      for (const query of probes) {
        answers.push(await rawPost(`${production.url}/graphql`, JSON.stringify({ query }), { authorization: `Bearer ${merchant.apiKey}` }));
        answers.push(await rawPost(`${production.url}/checkout/graphql`, JSON.stringify({ query })));
      }
      for (const answer of answers) {
        expect(answer.status).toBe(400);
        expect(answer.json.data).toBeUndefined();
        expect(answer.json.errors[0].message).toMatch(/introspection/i);
      }
      report(
        'introspection in production',
        `${answers.length} introspection queries (merchant and checkout schemas), ${answers.length} refused with 400`,
      );
    } finally {
      await production.close();
    }
  });
});

/** A POST from a given loopback address: every 127.x.y.z is this machine, and a distinct client IP to the API. */
function postFrom(localAddress: string, agent: http.Agent, path: string, body: string): Promise<{ status: number; json: any }> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        agent,
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, json: JSON.parse(text) }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('guessing link tokens', () => {
  it(
    'finds nothing in 10,000 random tokens, and the per-IP limit refuses each address after its misses',
    async () => {
      const guesses = pick(10_000, 50_000);
      const addresses = Array.from({ length: 50 }, (_, i) => `127.0.10.${i + 1}`);
      const perAddress = guesses / addresses.length;
      const documents = [
        'query ($token: String!) { paymentLink(token: $token) { status } }',
        'query ($token: String!) { cardSetupLink(token: $token) { status } }',
      ];
      let found = 0;
      const answered: Record<string, number> = {};
      const probe = async (address: string) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          for (let i = 0; i < perAddress; i++) {
            const body = JSON.stringify({ query: documents[i % 2], variables: { token: randomBytes(32).toString('base64url') } });
            const { json } = await postFrom(address, agent, '/checkout/graphql', body);
            const code: string = json.errors?.[0]?.extensions?.code ?? 'null';
            if (json.data && Object.values(json.data)[0] !== null) found++;
            answered[code] = (answered[code] ?? 0) + 1;
            // Exactly MAX_MISSES misses are answered per address; every later miss is refused.
            expect({ address, i, code }).toEqual({ address, i, code: i < MAX_MISSES ? 'null' : 'TOO_MANY_ATTEMPTS' });
          }
        } finally {
          agent.destroy();
        }
      };
      for (let i = 0; i < addresses.length; i += 10) await Promise.all(addresses.slice(i, i + 10).map(probe));
      expect(found).toBe(0);

      // Only misses are refused: a real token still answers from an address over its limit (whoever
      // shares a customer's address cannot keep the customer from paying), and from a fresh one.
      const { token } = await shop.sentInvoice(2_000);
      const real = JSON.stringify({ query: documents[0], variables: { token } });
      const agent = new http.Agent({ keepAlive: false });
      expect((await postFrom(addresses[0], agent, '/checkout/graphql', real)).json.data.paymentLink.status).toBe('PAYABLE');
      expect((await postFrom('127.0.11.1', agent, '/checkout/graphql', real)).json.data.paymentLink.status).toBe('PAYABLE');
      await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant] });
      report(
        'token guessing',
        `${guesses} random link and card-setup tokens from ${addresses.length} addresses, ${found} found, answers ${JSON.stringify(answered)} (${MAX_MISSES} misses per address, then TOO_MANY_ATTEMPTS)`,
      );
    },
    pick(60_000, 300_000),
  );
});
