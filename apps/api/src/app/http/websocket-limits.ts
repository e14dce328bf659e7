import type { Duplex } from 'node:stream';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../domain/errors.js';

export interface WebSocketLimitSettings {
  maxConnectionsPerAddress: number;
  maxSubscriptionsPerConnection: number;
}

/**
 * The WebSocket endpoints' limits besides the message size (which `ws` enforces, see
 * attachSubscriptionServers): open connections per client address, across both endpoints, and
 * operations per connection. Connections are counted by this instance: each instance behind a load
 * balancer allows its own share.
 */
export class WebSocketLimits {
  private readonly openByAddress = new Map<string, number>();

  constructor(private readonly settings: WebSocketLimitSettings) {}

  /**
   * Counts a new connection from `addressKey` until `socket` closes, or refuses it (false) when the
   * address is at its limit. Counted on the raw socket, so a handshake that fails is released too.
   */
  admit(addressKey: string, socket: Duplex): boolean {
    const open = this.openByAddress.get(addressKey) ?? 0;
    if (open >= this.settings.maxConnectionsPerAddress) return false;
    this.openByAddress.set(addressKey, open + 1);
    socket.once('close', () => {
      const left = (this.openByAddress.get(addressKey) ?? 1) - 1;
      if (left > 0) this.openByAddress.set(addressKey, left);
      else this.openByAddress.delete(addressKey);
    });
    return true;
  }

  /** graphql-ws lists a connection's operations, the one being subscribed included, in `subscriptions`. */
  refuseExtraSubscription(running: Record<string, unknown>): GraphQLError[] | null {
    if (Object.keys(running).length <= this.settings.maxSubscriptionsPerConnection) return null;
    return [
      new GraphQLError(
        `At most ${this.settings.maxSubscriptionsPerConnection} subscriptions may run on one connection; complete one first, or open another connection`,
        {
          extensions: { code: ErrorCode.TOO_MANY_SUBSCRIPTIONS, limit: this.settings.maxSubscriptionsPerConnection },
        },
      ),
    ];
  }
}

/** Answers an upgrade request with a plain HTTP status and closes the socket: no WebSocket is opened. */
export function refuseUpgrade(socket: Duplex, status: 404 | 429, reason: string): void {
  const body = JSON.stringify({ error: { code: status === 429 ? ErrorCode.TOO_MANY_ATTEMPTS : ErrorCode.NOT_FOUND, message: reason } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 429 ? 'Too Many Requests' : 'Not Found'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
