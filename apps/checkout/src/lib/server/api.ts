import { randomUUID } from 'node:crypto';
import { error, type RequestEvent } from '@sveltejs/kit';
import { ClientError, GraphQLClient } from 'graphql-request';
import { env } from '$env/dynamic/private';

/** Who the customer is, for the API's records (an ACH debit's mandate names the customer's IP and browser). */
export interface Customer {
  ip: string;
  userAgent: string | null;
  /** Forwarded to the API as `x-request-id`: the proxy's id for this request if it gave one, else a new one, so that one id follows the request through both access logs. */
  requestId: string;
}

/**
 * The customer behind a request. Every call made for a customer names them, lookups included: the
 * API limits unknown-token lookups per IP, and without this every customer would share the
 * checkout server's address, so that one guesser could lock everyone out of their links.
 */
export function customerOf(event: Pick<RequestEvent, 'getClientAddress' | 'request'>): Customer {
  const incoming = event.request.headers.get('x-request-id');
  return {
    ip: event.getClientAddress(),
    userAgent: event.request.headers.get('user-agent'),
    requestId: incoming && /^[A-Za-z0-9_-]{1,64}$/.test(incoming) ? incoming : randomUUID(),
  };
}

/**
 * The checkout's only way to the API: the public checkout schema, called from the server, so no
 * credential or API address is needed in the browser.
 */
export function checkoutApi(customer?: Customer): GraphQLClient {
  const base = (env.KOMETPAY_API_URL || 'http://127.0.0.1:4000').replace(/\/$/, '');
  const headers: Record<string, string> = {};
  if (customer) {
    headers['x-forwarded-for'] = customer.ip;
    if (customer.userAgent) headers['user-agent'] = customer.userAgent;
    headers['x-request-id'] = customer.requestId;
  }
  return new GraphQLClient(`${base}/checkout/graphql`, { headers });
}

/** Link tokens (payment and add-card links) are 256 random bits in URL-safe base64: anything else is unknown without asking the API. */
export const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;

/**
 * The API's error code (`extensions.code`), with what it said along with it: a reason, the field a
 * bad input is about, the attempts left (micro-deposits); undefined when it did not answer.
 */
export function apiError(
  cause: unknown,
): { code: string; reason: string | null; field: string | null; attemptsLeft: number | null } | undefined {
  const extensions = cause instanceof ClientError ? cause.response.errors?.[0]?.extensions : undefined;
  if (typeof extensions?.code !== 'string') return undefined;
  return {
    code: extensions.code,
    reason: typeof extensions.reason === 'string' ? extensions.reason : null,
    field: typeof extensions.field === 'string' ? extensions.field : null,
    attemptsLeft: typeof extensions.attemptsLeft === 'number' ? extensions.attemptsLeft : null,
  };
}

export function errorCode(cause: unknown): string | undefined {
  return apiError(cause)?.code;
}

export function apiUnavailable(cause: unknown): never {
  console.error('checkout: the API did not answer', cause);
  error(503, 'The payment service is not available right now. Please try again in a few minutes.');
}
