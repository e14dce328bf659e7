import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { error, type RequestEvent, redirect } from '@sveltejs/kit';
import { ClientError, GraphQLClient, type Variables } from 'graphql-request';
import { env } from '$env/dynamic/private';
import { clearSupervisor, sessionToken, supervisorToken } from './session';

/** Where the console's server reaches the API (server to server; the browser never talks to the API). */
export function apiBaseUrl(): string {
  return (env.KOMETPAY_API_URL || 'http://127.0.0.1:4000').replace(/\/$/, '');
}

/** The API's refusal: its code, message and the field it is about (`extensions.field`), and what else it said. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field: string | null,
    readonly extensions: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The request id the console forwards to the API on every call: the one a proxy gave it, or its own. */
export function requestIdOf(event: Pick<RequestEvent, 'request' | 'locals'>): string {
  if (!event.locals.requestId) {
    const incoming = event.request.headers.get('x-request-id');
    event.locals.requestId = incoming && /^[A-Za-z0-9_-]{1,64}$/.test(incoming) ? incoming : randomUUID();
  }
  return event.locals.requestId;
}

/** The person's address and browser, named on every call: the API limits sign-in and supervisor attempts per address. */
export function forwardedHeaders(event: Pick<RequestEvent, 'request' | 'locals' | 'getClientAddress'>): Record<string, string> {
  const headers: Record<string, string> = { 'x-request-id': requestIdOf(event), 'x-forwarded-for': event.getClientAddress() };
  const userAgent = event.request.headers.get('user-agent');
  if (userAgent) headers['user-agent'] = userAgent;
  return headers;
}

/** The page to come back to after signing in: the path and query, less a form action's `?/name`. */
export function pageOf(url: URL): string {
  const search = new URLSearchParams([...url.searchParams].filter(([name]) => !name.startsWith('/')));
  const query = search.toString();
  return `${url.pathname}${query ? `?${query}` : ''}`;
}

/** Where to go after signing in (or elevating): a path of this console, never another site (`//evil.example`). */
export function safeNext(next: string | null | undefined): string {
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

export const signInUrl = (url: URL) => `/sign-in?next=${encodeURIComponent(pageOf(url))}`;

export interface MerchantApi {
  /** Sends a typed document with the person's session (and the supervisor token, if `supervised`). */
  request<Result, Vars extends Variables>(document: TypedDocumentNode<Result, Vars>, variables?: Vars): Promise<Result>;
}

/**
 * The console's only way to the API: the merchant schema, from the console's server, with the
 * session token kept in the person's httpOnly cookie. An ended session (idle, expired, signed out
 * elsewhere) sends the person to sign in, and back to this page afterwards.
 */
export function merchantApi(event: RequestEvent, { supervised = false } = {}): MerchantApi {
  const token = sessionToken(event.cookies);
  if (!token) redirect(303, signInUrl(event.url));
  const headers: Record<string, string> = { ...forwardedHeaders(event), authorization: `Bearer ${token}` };
  const supervisor = supervised ? supervisorToken(event.cookies) : undefined;
  if (supervisor) headers['x-supervisor-token'] = supervisor;
  const client = new GraphQLClient(`${apiBaseUrl()}/graphql`, { headers, fetch: event.fetch });
  return {
    async request(document, variables) {
      try {
        return await send(client, document, variables);
      } catch (cause) {
        const problem = apiErrorOf(cause);
        // The layout's and the page's loads run at once: the cookie is cleared by the sign-in page, not here,
        // where the other load may already have answered.
        if (problem?.code === 'UNAUTHENTICATED') redirect(303, signInUrl(event.url));
        if (problem?.code === 'SUPERVISOR_REQUIRED') clearSupervisor(event);
        if (problem) throw problem;
        apiUnavailable(cause);
      }
    },
  };
}

/** For the operations that run without a session: signIn, acceptStaffInvitation. */
export function anonymousApi(event: RequestEvent): MerchantApi {
  const client = new GraphQLClient(`${apiBaseUrl()}/graphql`, { headers: forwardedHeaders(event), fetch: event.fetch });
  return {
    async request(document, variables) {
      try {
        return await send(client, document, variables);
      } catch (cause) {
        const problem = apiErrorOf(cause);
        if (problem) throw problem;
        apiUnavailable(cause);
      }
    },
  };
}

/** graphql-request's overloads do not take a generic variables type through: one cast, here. */
function send<Result, Vars extends Variables>(
  client: GraphQLClient,
  document: TypedDocumentNode<Result, Vars>,
  variables?: Vars,
): Promise<Result> {
  return (client.request as (document: TypedDocumentNode<Result, Vars>, variables?: Vars) => Promise<Result>).call(
    client,
    document,
    variables,
  );
}

export function apiErrorOf(cause: unknown): ApiError | undefined {
  if (cause instanceof ApiError) return cause;
  if (!(cause instanceof ClientError)) return undefined;
  const first = cause.response.errors?.[0];
  const extensions = (first?.extensions ?? {}) as Record<string, unknown>;
  if (typeof extensions.code !== 'string') {
    if (cause.response.status === 401) return new ApiError('UNAUTHENTICATED', 'Please sign in again.', null, {});
    return undefined;
  }
  if (extensions.code === 'INTERNAL_SERVER_ERROR') return undefined;
  return new ApiError(
    extensions.code,
    first?.message ?? extensions.code,
    typeof extensions.field === 'string' ? extensions.field : null,
    extensions,
  );
}

export function apiUnavailable(cause: unknown): never {
  console.error('console: the API did not answer as expected', cause);
  error(503, 'KometPay is not answering right now. Please try again in a minute.');
}
