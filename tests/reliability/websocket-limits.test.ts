import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApi, type TestApi } from '../support/api.js';
import { rawPost } from '../support/graphql.js';
import { Shop } from '../support/shop.js';
import { subscribe, wsUrl } from '../support/subscriptions.js';
import { report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { diffSnapshots, takeSnapshot } from './support/snapshot.js';

const MAX_CONNECTIONS = 5;
const MAX_SUBSCRIPTIONS = 3;
const MAX_MESSAGE_BYTES = 65_536;
const LINK_STATUS = 'subscription ($token: String!) { paymentLinkStatus(token: $token) { status } }';

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  t = await startTestApi({
    WS_MAX_CONNECTIONS_PER_ADDRESS: String(MAX_CONNECTIONS),
    WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(MAX_SUBSCRIPTIONS),
    WS_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
    HTTP_HEADERS_TIMEOUT_SECONDS: '1',
    HTTP_REQUEST_TIMEOUT_SECONDS: '2',
  });
  shop = await Shop.open(await t.createMerchant('Bounded Flowers'), t.url);
});
afterAll(() => scanAndClose('websocket limits', t));

const port = () => Number(new URL(t.url).port);

/** A raw TCP connection to the API, from `localAddress` (any 127.x.y.z is a distinct client here). */
function connect(localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: port(), localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection, and when that happened. */
function untilClosed(socket: net.Socket): Promise<{ text: string; at: number }> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  return new Promise((resolve) =>
    socket.once('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), at: performance.now() })),
  );
}

/**
 * A WebSocket handshake by hand, so that the test controls every byte sent after it; `closeCode`
 * resolves with the status of the server's close frame (the server then waits for ours, never sent).
 */
async function rawWebSocket(path: string): Promise<{ socket: net.Socket; closeCode: Promise<number> }> {
  const socket = await connect();
  const handshake = new Promise<void>((resolve, reject) => {
    socket.once('data', (chunk) =>
      chunk.toString('latin1').startsWith('HTTP/1.1 101') ? resolve() : reject(new Error(chunk.toString('latin1'))),
    );
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
  );
  await handshake;
  let received = Buffer.alloc(0);
  const closeCode = new Promise<number>((resolve, reject) => {
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      // An unmasked close frame: 0x88, a length of at least 2, then the status code.
      const at = received.indexOf(0x88);
      if (at >= 0 && received.length >= at + 4) resolve(received.readUInt16BE(at + 2));
    });
    socket.once('close', () => reject(new Error('closed without a close frame')));
  });
  return { socket, closeCode };
}

/** The header of a masked text frame announcing `length` payload bytes (RFC 6455, 64-bit length form). */
function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  randomBytes(4).copy(header, 10);
  return header;
}

/** A WebSocket opened with `ws`: resolves open, or with the HTTP status that refused the upgrade. */
function openWebSocket(
  path: string,
  options: { localAddress?: string; forwardedFor?: string } = {},
): Promise<{ ws: WebSocket; status: 101 } | { status: number }> {
  const ws = new WebSocket(wsUrl(t.url, path), 'graphql-transport-ws', {
    localAddress: options.localAddress,
    headers: options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {},
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('error', (error) => reject(error));
  });
}

describe('WebSocket message size', () => {
  it('closes a connection whose message is over the cap, on both endpoints, before reading its body', async () => {
    const outcomes: Record<string, string> = {};
    for (const path of ['/graphql', '/checkout/graphql']) {
      // 90 MiB announced by one frame header, with nothing behind it: the server must not wait for it.
      const { socket, closeCode } = await rawWebSocket(path);
      const sent = performance.now();
      socket.write(frameHeader(90 * 1024 * 1024));
      // 1009: message too big.
      expect(await closeCode).toBe(1009);
      outcomes[`${path} 90 MiB header`] = `closed 1009 after ${Math.round(performance.now() - sent)} ms`;
      socket.destroy();

      // An ordinary client sending a connection_init just over the cap: closed alike.
      const ws = new WebSocket(wsUrl(t.url, path), 'graphql-transport-ws');
      await new Promise((resolve) => ws.once('open', resolve));
      const code = new Promise<number>((resolve) => ws.once('close', (closeCode) => resolve(closeCode)));
      ws.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(MAX_MESSAGE_BYTES) } }));
      expect(await code).toBe(1009);
      outcomes[`${path} connection_init of ${MAX_MESSAGE_BYTES} B`] = 'closed 1009';
    }
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect(t.logs.filter((line) => /"level":50/.test(line))).toEqual([]);
    report('websocket message size', `cap ${MAX_MESSAGE_BYTES} B on both endpoints: ${JSON.stringify(outcomes)}; /healthz answers`);
  });
});

describe('WebSocket connections per address', () => {
  it('refuses the connection past the cap from one address with 429, and counts each address behind a trusted proxy, IPv6 by /64', async () => {
    const open: WebSocket[] = [];
    const outcome = async (path: string, options: Parameters<typeof openWebSocket>[1]) => {
      const result = await openWebSocket(path, options);
      if ('ws' in result) open.push(result.ws);
      return result.status;
    };
    try {
      // Both endpoints draw on one count per address.
      const fromOne = [];
      for (let i = 0; i < MAX_CONNECTIONS + 1; i++)
        fromOne.push(await outcome(i % 2 ? '/graphql' : '/checkout/graphql', { localAddress: '127.0.15.1' }));
      expect(fromOne).toEqual([...Array(MAX_CONNECTIONS).fill(101), 429]);
      expect(await outcome('/checkout/graphql', { localAddress: '127.0.15.2' })).toBe(101);
      // A closed connection gives its place back.
      const closing = open.shift()!;
      await new Promise((resolve) => {
        closing.once('close', resolve);
        closing.close();
      });
      let reopened = 0;
      for (let attempt = 0; attempt < 50 && reopened !== 101; attempt++) {
        reopened = await outcome('/checkout/graphql', { localAddress: '127.0.15.1' });
        if (reopened !== 101) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(reopened).toBe(101);

      // Behind a proxy TRUST_PROXY trusts (loopback, the default), each client is counted on its own:
      // every one of these comes from 127.0.15.3, on behalf of another client.
      const behindProxy: Record<string, number[]> = {};
      for (const client of ['198.51.100.7', '198.51.100.8', '2001:db8:15:1::a']) {
        behindProxy[client] = [];
        for (let i = 0; i < MAX_CONNECTIONS; i++)
          behindProxy[client].push(await outcome('/checkout/graphql', { localAddress: '127.0.15.3', forwardedFor: client }));
      }
      // ...and an IPv6 client is its /64: another address of the same /64 is over the cap, another /64 is not.
      const sameSlash64 = await outcome('/checkout/graphql', { localAddress: '127.0.15.3', forwardedFor: '2001:db8:15:1:ffff::1' });
      const otherSlash64 = await outcome('/checkout/graphql', { localAddress: '127.0.15.3', forwardedFor: '2001:db8:15:2::a' });
      expect(
        Object.values(behindProxy)
          .flat()
          .every((status) => status === 101),
      ).toBe(true);
      expect({ sameSlash64, otherSlash64 }).toEqual({ sameSlash64: 429, otherSlash64: 101 });
      report(
        'websocket connections per address',
        `cap ${MAX_CONNECTIONS}: one address ${JSON.stringify(fromOne)}, a second address 101, a freed place reused; behind a trusted proxy ${Object.keys(behindProxy).length} clients x ${MAX_CONNECTIONS} accepted, the same IPv6 /64 ${sameSlash64}, another /64 ${otherSlash64}`,
      );
    } finally {
      for (const ws of open) ws.terminate();
    }
  });
});

describe('operations over graphql-ws', () => {
  it(`runs at most ${MAX_SUBSCRIPTIONS} subscriptions on one unauthenticated connection, and takes another once one completes`, async () => {
    const { token } = await shop.sentInvoice(1_500);
    const client: Client = createClient({ url: wsUrl(t.url, '/checkout/graphql'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const start = () => {
        const received: { data?: unknown; code?: unknown }[] = [];
        const stop = client.subscribe(
          { query: LINK_STATUS, variables: { token } },
          {
            next: (result) => received.push(result.errors ? { code: result.errors[0].extensions?.code } : { data: result.data }),
            error: (error) => received.push({ code: Array.isArray(error) ? error[0]?.extensions?.code : String(error) }),
            complete: () => undefined,
          },
        );
        return { received, stop };
      };
      const waitForFirst = async (subscription: ReturnType<typeof start>) => {
        for (let waited = 0; !subscription.received.length; waited += 10) {
          if (waited > 5000) throw new Error('no answer within 5 s');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return subscription.received[0];
      };
      const running = Array.from({ length: MAX_SUBSCRIPTIONS }, start);
      for (const subscription of running)
        expect(await waitForFirst(subscription)).toEqual({ data: { paymentLinkStatus: { status: 'PAYABLE' } } });
      const extra = start();
      expect(await waitForFirst(extra)).toEqual({ code: 'TOO_MANY_SUBSCRIPTIONS' });
      running[0].stop();
      let again = start();
      for (let attempt = 0; (await waitForFirst(again)).code === 'TOO_MANY_SUBSCRIPTIONS' && attempt < 50; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        again = start();
      }
      expect(await waitForFirst(again)).toEqual({ data: { paymentLinkStatus: { status: 'PAYABLE' } } });
      report(
        'subscriptions per connection',
        `cap ${MAX_SUBSCRIPTIONS}: ${MAX_SUBSCRIPTIONS} running, the next refused TOO_MANY_SUBSCRIPTIONS, one taken again after a complete`,
      );
    } finally {
      await client.dispose();
    }
  });

  it('takes only subscriptions, with the same input checks as HTTP: a query or mutation is SUBSCRIPTIONS_ONLY, a NUL is BAD_USER_INPUT', async () => {
    const authorization = `Bearer ${shop.merchant.apiKey}`;
    const merchantWs = wsUrl(t.url, '/graphql');
    const checkoutWs = wsUrl(t.url, '/checkout/graphql');
    const before = await takeSnapshot(t.db.url);
    const attempts = {
      'checkout query': subscribe(checkoutWs, '{ processor { kind } }'),
      'merchant query': subscribe(merchantWs, '{ merchant { id } }', {}, authorization),
      'merchant mutation': subscribe(
        merchantWs,
        'mutation ($name: String!) { createCustomer(input: { name: $name, email: "ws@reliability.example" }) { id } }',
        { name: 'Over WS' },
        authorization,
      ),
      'NUL in a subscription variable': subscribe(checkoutWs, LINK_STATUS, { token: 'abc\u0000def' }),
      'NUL in a merchant subscription variable': subscribe(
        merchantWs,
        'subscription ($after: String) { paymentStatusChanged(after: $after) { cursor } }',
        { after: '\u0000' },
        authorization,
      ),
    };
    const codes: Record<string, unknown> = {};
    for (const [name, recording] of Object.entries(attempts)) {
      await recording.waitForEnd();
      codes[name] = recording.errors[0]?.extensions?.code;
      await recording.dispose();
    }
    expect(codes).toEqual({
      'checkout query': 'SUBSCRIPTIONS_ONLY',
      'merchant query': 'SUBSCRIPTIONS_ONLY',
      'merchant mutation': 'SUBSCRIPTIONS_ONLY',
      'NUL in a subscription variable': 'BAD_USER_INPUT',
      'NUL in a merchant subscription variable': 'BAD_USER_INPUT',
    });
    expect(diffSnapshots(before, await takeSnapshot(t.db.url))).toEqual([]);
    expect(t.logs.filter((line) => /unexpected error/.test(line))).toEqual([]);
    report('operations over graphql-ws', `${JSON.stringify(codes)}, 0 rows changed, nothing logged as unexpected`);
  });
});

describe('slow HTTP clients', () => {
  it('answers 408 to headers or a body sent too slowly, and still serves a kept-alive socket idle past the headers timeout', async () => {
    const dribble = async (first: string, next: () => string) => {
      const socket = await connect();
      const closed = untilClosed(socket);
      const started = performance.now();
      socket.write(first);
      const timer = setInterval(() => socket.writable && socket.write(next()), 200);
      const { text, at } = await closed;
      clearInterval(timer);
      return { status: text.split('\r\n')[0], ms: Math.round(at - started) };
    };
    const slowHeaders = await dribble('GET /healthz HTTP/1.1\r\nHost: localhost\r\n', () => `X-Slow-${randomUUID()}: 1\r\n`);
    const slowBody = await dribble(
      'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
      () => ' ',
    );
    // Timeouts are checked every second: headers (1 s) and whole request (2 s) are cut within a second past them.
    expect(slowHeaders.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(slowHeaders.ms).toBeLessThan(3_000);
    expect(slowBody.status).toBe('HTTP/1.1 408 Request Timeout');
    expect(slowBody.ms).toBeGreaterThanOrEqual(1_900);
    expect(slowBody.ms).toBeLessThan(4_000);

    // A kept-alive socket idle longer than the headers timeout (but within HTTP_KEEP_ALIVE_SECONDS)
    // takes its next request: no timer runs between requests (why headersTimeout needs no pairing with keep-alive).
    const socket = await connect();
    const answers: string[] = [];
    socket.on('data', (chunk) => answers.push(...(chunk.toString('latin1').match(/HTTP\/1\.1 \d{3}/g) ?? [])));
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    for (let waited = 0; answers.length < 2 && waited < 2_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    socket.destroy();
    expect(answers).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
    expect((await rawPost(`${t.url}/checkout/graphql`, JSON.stringify({ query: '{ processor { kind } }' }))).status).toBe(200);
    report(
      'slow HTTP clients',
      `headers timeout 1 s: slow headers ${slowHeaders.status.slice(9)} after ${slowHeaders.ms} ms; request timeout 2 s: slow body ${slowBody.status.slice(9)} after ${slowBody.ms} ms; a socket idle 2.5 s kept alive: ${answers.join(', ')}`,
    );
  }, 20_000);
});
