import { ConsolePaymentEventsDocument, type ConsolePaymentEventsSubscription } from '@kometpay/schema/merchant';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { apiBaseUrl } from './api';

export type PaymentEvent = ConsolePaymentEventsSubscription['paymentStatusChanged'];

/** What the page is told of each event: enough to announce it; the page then reloads its own data. */
export interface LiveEvent {
  type: string;
  transactionId: string;
  kind: string;
  status: string;
  amount: string;
  customer: string | null;
  invoices: string[];
}

export function liveEventOf(event: PaymentEvent): LiveEvent {
  return {
    type: event.type,
    transactionId: event.transaction.id,
    kind: event.transaction.kind,
    status: event.transaction.status,
    amount: event.transaction.amount.formatted,
    customer: event.transaction.customer?.name ?? null,
    invoices: event.invoices.map((invoice) => invoice.number),
  };
}

export interface LiveStreamOptions {
  sessionToken: string;
  /** Resume right after this event (the browser's Last-Event-ID); without it, from now. */
  after: string | null;
  /** Forwarded on the WebSocket upgrade: the person's address, their browser, the request id. */
  headers: Record<string, string>;
  onEvent(event: PaymentEvent): void;
  /** The API accepted the connection; the subscription is being set up on it. */
  onReady(): void;
  /** The session is no longer valid: the page must sign in again. */
  onSignedOut(): void;
  /** The subscription ended otherwise (the API went away or restarts): the browser reconnects and resumes. */
  onEnd(): void;
}

/** graphql-ws closes with 4403 when the connection's credential is refused (an ended session). */
const FORBIDDEN_CLOSE = 4403;

/**
 * One graphql-ws connection to the API per open page, with the person's session: the browser never
 * holds the token, so the console's server subscribes for it and relays (see routes/live). Nothing is
 * retried here: the browser's EventSource reconnects, and its Last-Event-ID resumes from the cursor.
 */
export function followPayments(options: LiveStreamOptions): () => void {
  const { headers } = options;
  class ForwardingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  let ended = false;
  const end = (signedOut: boolean) => {
    if (ended) return;
    ended = true;
    if (signedOut) options.onSignedOut();
    else options.onEnd();
    dispose();
  };
  // dispose() may answer a promise that rejects with the close event of a refused connection.
  const dispose = () => void Promise.resolve(client.dispose()).catch(() => undefined);
  const client: Client = createClient({
    url: `${apiBaseUrl().replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: ForwardingWebSocket,
    connectionParams: { authorization: `Bearer ${options.sessionToken}` },
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: () => options.onReady(),
      closed: (event) => {
        const code = (event as { code?: number }).code;
        if (code === FORBIDDEN_CLOSE) end(true);
      },
    },
  });
  const unsubscribe = client.subscribe<ConsolePaymentEventsSubscription>(
    { query: print(ConsolePaymentEventsDocument), variables: { after: options.after } },
    {
      next: (result) => {
        if (result.errors?.length) {
          const codes = result.errors.map((error) => error.extensions?.code);
          end(codes.includes('UNAUTHENTICATED') || codes.includes('FORBIDDEN'));
          return;
        }
        if (result.data) options.onEvent(result.data.paymentStatusChanged);
      },
      error: (error) => {
        const codes = Array.isArray(error) ? error.map((e: { extensions?: { code?: string } }) => e.extensions?.code) : [];
        const code = (error as { code?: number } | null)?.code;
        end(code === FORBIDDEN_CLOSE || codes.includes('UNAUTHENTICATED'));
      },
      complete: () => end(false),
    },
  );
  return () => {
    ended = true;
    unsubscribe();
    dispose();
  };
}
