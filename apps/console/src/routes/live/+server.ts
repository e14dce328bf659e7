import { forwardedHeaders } from '$lib/server/api';
import { followPayments, liveEventOf } from '$lib/server/live';
import { sessionToken } from '$lib/server/session';
import type { RequestHandler } from './$types';

/** A comment line every so often: proxies (nginx's proxy_read_timeout, 60 s) keep a quiet stream open. */
const KEEP_ALIVE_MS = 20_000;
/** How long the browser waits before reconnecting after the stream ends. */
const RETRY_MS = 2_000;
const CURSOR = /^[A-Za-z0-9_.=-]{1,512}$/;

/** Streams that are open, closed when the server shuts down (adapter-node's `sveltekit:shutdown`). */
const open = new Set<() => void>();
process.on('sveltekit:shutdown', () => {
  for (const close of open) close();
});

/**
 * GET /live: the merchant's payment events as Server-Sent Events, one stream per open page. Each
 * event's id is its cursor, so that when the stream drops, the browser's EventSource reconnects with
 * `Last-Event-ID` and the stream resumes right after the last event it received.
 */
export const GET: RequestHandler = (event) => {
  const token = sessionToken(event.cookies);
  if (!token) return new Response('Sign in first.', { status: 401, headers: { 'content-type': 'text/plain' } });
  const lastEventId = event.request.headers.get('last-event-id');
  const after = lastEventId && CURSOR.test(lastEventId) ? lastEventId : null;
  const encoder = new TextEncoder();
  let close = () => {};

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const send = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const keepAlive = setInterval(() => send(': still here\n\n'), KEEP_ALIVE_MS);
      const stop = followPayments({
        sessionToken: token,
        after,
        headers: forwardedHeaders(event),
        onReady: () => send('event: ready\ndata: {}\n\n'),
        onEvent: (payment) => send(`id: ${payment.cursor}\nevent: payment\ndata: ${JSON.stringify(liveEventOf(payment))}\n\n`),
        onSignedOut: () => {
          send('event: signed-out\ndata: {}\n\n');
          close();
        },
        onEnd: () => close(),
      });
      close = () => {
        if (closed) return;
        closed = true;
        open.delete(close);
        clearInterval(keepAlive);
        stop();
        try {
          controller.close();
        } catch {
          // already cancelled by the browser going away
        }
      };
      open.add(close);
      send(`retry: ${RETRY_MS}\n\n`);
    },
    cancel() {
      close();
    },
  });

  return new Response(stream, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx: pass each event on at once instead of buffering the response.
      'x-accel-buffering': 'no',
    },
  });
};
