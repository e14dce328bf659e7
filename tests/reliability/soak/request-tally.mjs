/**
 * How the soak counts requests: each one ends ok or as one kind of failure, and the kinds are kept
 * apart because they mean different things:
 *  - timeout: no answer within the client's timeout (the API or the path to it is overloaded or stuck);
 *  - transport: the connection failed (refused, reset, closed mid-answer);
 *  - http: an answer with a non-2xx status, or a 2xx body that is not JSON;
 *  - graphql: a JSON answer carrying `errors` (by `extensions.code`);
 *  - payment: a payWithLink answered without errors whose payment did not succeed;
 *  - backlog: never sent, because the load generator already had too many requests waiting for a
 *    socket (the API fell behind the set rate; latency is counted from when each request was due).
 * A tally is plain JSON, so the load generator's process can send its own to the soak's.
 */
export const FAILURE_KINDS = ['timeout', 'transport', 'http', 'graphql', 'payment', 'backlog'];

export function newTally() {
  return { requests: 0, ok: 0, failures: Object.fromEntries(FAILURE_KINDS.map((kind) => [kind, 0])), details: {} };
}

export function countOk(tally) {
  tally.requests++;
  tally.ok++;
}

export function countFailure(tally, { kind, detail }) {
  tally.requests++;
  tally.failures[kind]++;
  const key = `${kind}: ${detail}`;
  tally.details[key] = (tally.details[key] ?? 0) + 1;
}

export const errorsOf = (tally) => FAILURE_KINDS.reduce((sum, kind) => sum + tally.failures[kind], 0);

export function addTallies(...tallies) {
  const sum = newTally();
  for (const tally of tallies) {
    sum.requests += tally.requests;
    sum.ok += tally.ok;
    for (const kind of FAILURE_KINDS) sum.failures[kind] += tally.failures[kind];
    for (const [key, count] of Object.entries(tally.details)) sum.details[key] = (sum.details[key] ?? 0) + count;
  }
  return sum;
}

/** The counts since an earlier snapshot of the same tally. */
export function tallySince(now, before) {
  const delta = newTally();
  delta.requests = now.requests - before.requests;
  delta.ok = now.ok - before.ok;
  for (const kind of FAILURE_KINDS) delta.failures[kind] = now.failures[kind] - before.failures[kind];
  for (const [key, count] of Object.entries(now.details))
    if (count !== (before.details[key] ?? 0)) delta.details[key] = count - (before.details[key] ?? 0);
  return delta;
}

export const copyTally = (tally) => JSON.parse(JSON.stringify(tally));

/**
 * "timeouts 0, transport 0, HTTP 2, GraphQL 0, failed payments 0, backlogged 0 (http: 503 x2)": every
 * kind, and the commonest details. `brief`: only the kinds that occurred ("none" if none did).
 */
export function describeFailures(tally, { details = 3, brief = false } = {}) {
  const labels = {
    timeout: 'timeouts',
    transport: 'transport',
    http: 'HTTP',
    graphql: 'GraphQL',
    payment: 'failed payments',
    backlog: 'backlogged',
  };
  const kinds = FAILURE_KINDS.filter((kind) => !brief || tally.failures[kind] > 0);
  if (!kinds.length) return 'none';
  const counts = kinds.map((kind) => `${labels[kind]} ${tally.failures[kind]}`).join(', ');
  const top = Object.entries(tally.details)
    .sort((a, b) => b[1] - a[1])
    .slice(0, details);
  return top.length ? `${counts} (${top.map(([key, count]) => `${key} x${count}`).join('; ')})` : counts;
}

/**
 * An answer to a GraphQL-over-HTTP request: null when it succeeded, else its failure. `body` is the
 * raw text; it is parsed (never searched for a substring, which a value could contain).
 */
export function classifyAnswer(status, body) {
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'http', detail: `${status} without a JSON body` };
  }
  const codes =
    Array.isArray(json?.errors) && json.errors.length
      ? [...new Set(json.errors.map((error) => String(error?.extensions?.code ?? 'no code')))].join(',')
      : null;
  if (status < 200 || status >= 300) return { kind: 'http', detail: codes ? `${status} ${codes}` : String(status) };
  if (codes) return { kind: 'graphql', detail: codes };
  return null;
}

/** A request that got no answer: a timeout (ours, or fetch's AbortSignal.timeout), or a transport failure. */
export function classifyException(error) {
  if (error?.name === 'TimeoutError' || error?.code === 'SOAK_TIMEOUT') return { kind: 'timeout', detail: 'no answer in time' };
  const cause = error?.cause ?? error;
  return { kind: 'transport', detail: String(cause?.code ?? cause?.message ?? error) };
}
