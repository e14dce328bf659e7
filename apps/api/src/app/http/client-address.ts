import type http from 'node:http';
import proxyaddr from 'proxy-addr';

/** Express's compiled `trust proxy` setting (`app.get('trust proxy fn')`): which hops may name the client. */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * The client's address for a raw request (a WebSocket upgrade), derived exactly as Express derives
 * `req.ip`: X-Forwarded-For is read only as far back as the hops TRUST_PROXY trusts.
 */
export function clientAddressOf(request: http.IncomingMessage, trust: TrustProxy): string | null {
  if (!request.socket.remoteAddress) return null;
  return proxyaddr(request, trust);
}
