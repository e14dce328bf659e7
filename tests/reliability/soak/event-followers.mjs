/**
 * The soak's partner subscribers: `count` graphql-ws streams of paymentStatusChanged, spread over
 * the (partner, merchant) pairs granted and over the target URLs, all from one outbox position.
 * Each keeps the outbox positions of the events it received, in order, so that the soak can say of
 * every subscriber what it lost, what it got twice, and what came out of order.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { cursorAfter, positionOf } from './kometpay-parts.mjs';

const PAYMENT_EVENTS = `subscription ($merchantId: ID, $after: String) {
  paymentStatusChanged(merchantId: $merchantId, after: $after) {
    cursor type transaction { id status amount { amount } } invoices { id status amountDue { amount } } } }`;

const webSocketUrl = (httpUrl) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;

export function followEvents({ urls, partners, count, fromPosition }) {
  const pairs = partners.flatMap((partner) => partner.merchants.map((merchantId) => ({ partner, merchantId })));
  let disposing = false;
  const followers = Array.from({ length: count }, (_, i) => {
    const { partner, merchantId } = pairs[i % pairs.length];
    const follower = { partnerId: partner.id, merchantId, connected: false, positions: [], errors: [], lost: null };
    follower.client = createClient({
      url: webSocketUrl(urls[i % urls.length]),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: partner.authorization },
      retryAttempts: 0,
      on: {
        connected: () => (follower.connected = true),
        closed: (event) => {
          if (!disposing) follower.lost ??= `connection closed (${event?.code})`;
        },
      },
    });
    follower.client.subscribe(
      { query: PAYMENT_EVENTS, variables: { merchantId, after: cursorAfter(merchantId, fromPosition) } },
      {
        next: (result) => {
          if (result.errors?.length)
            follower.errors.push(...result.errors.map((error) => `${String(error.extensions?.code)}: ${error.message}`));
          else follower.positions.push(positionOf(merchantId, result.data.paymentStatusChanged.cursor));
        },
        error: (error) => {
          follower.errors.push(error instanceof Error ? error.message : JSON.stringify(error));
          if (!disposing) follower.lost ??= 'stream errored';
        },
        complete: () => {
          if (!disposing) follower.lost ??= 'stream completed';
        },
      },
    );
    return follower;
  });

  return {
    followers,
    async connected(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!followers.every((follower) => follower.connected || follower.lost)) {
        if (Date.now() > deadline)
          throw new Error(`${followers.filter((f) => !f.connected).length} of ${count} subscribers did not connect within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const lost = followers.filter((follower) => follower.lost);
      if (lost.length) throw new Error(`${lost.length} subscribers could not subscribe: ${lost[0].lost} ${lost[0].errors.join('; ')}`);
    },
    delivered: () => followers.reduce((sum, follower) => sum + follower.positions.length, 0),
    /**
     * Each subscriber against its merchant's events (`expected`: merchant id -> positions, in order):
     * lost (expected, not received), repeated (received more than once), out of order, disconnected.
     */
    check(expected) {
      let lost = 0;
      let repeated = 0;
      let outOfOrder = 0;
      let expectedTotal = 0;
      const lossy = [];
      const missedPositions = new Set();
      for (const follower of followers) {
        const wanted = expected.get(follower.merchantId) ?? [];
        expectedTotal += wanted.length;
        const received = new Set(follower.positions);
        const missing = wanted.filter((position) => !received.has(position));
        lost += missing.length;
        for (const position of missing) missedPositions.add(position);
        repeated += follower.positions.length - received.size;
        outOfOrder += follower.positions.filter((position, i) => i > 0 && position < follower.positions[i - 1]).length;
        if (JSON.stringify(follower.positions) !== JSON.stringify(wanted))
          lossy.push({ merchant: follower.merchantId, received: follower.positions.length, expected: wanted.length });
      }
      const errors = followers.flatMap((follower) => follower.errors);
      return {
        subscribers: followers.length,
        delivered: this.delivered(),
        expected: expectedTotal,
        lost,
        repeated,
        outOfOrder,
        lossy,
        missedPositions: [...missedPositions].sort((a, b) => a - b).slice(0, 10),
        disconnected: followers.filter((follower) => follower.lost).map((follower) => follower.lost),
        errors: [...new Set(errors)].slice(0, 5),
        errorCount: errors.length,
      };
    },
    async dispose() {
      disposing = true;
      await Promise.all(followers.map((follower) => follower.client.dispose()));
    },
  };
}
