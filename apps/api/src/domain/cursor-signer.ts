import { createHmac, timingSafeEqual } from 'node:crypto';

/** 128 bits of HMAC-SHA256: forging one is a 2^-128 guess per try. */
const MAC_BYTES = 16;

/**
 * Makes cursors that only this API can issue: the payload followed by an HMAC of it under a server
 * secret, URL-safe base64. The MAC also covers a context (what the cursor is for, and for whom), so a
 * cursor is refused anywhere else. Several secrets allow rotation: the first signs, any verifies.
 */
export class CursorSigner {
  constructor(private readonly secrets: readonly string[]) {
    if (!secrets.length) throw new Error('CursorSigner needs at least one secret');
  }

  sign(context: string, payload: Buffer): string {
    return Buffer.concat([payload, this.mac(this.secrets[0], context, payload)]).toString('base64url');
  }

  /** The payload of a cursor this signer (under any of its secrets) issued for `context`, or null. */
  verify(context: string, cursor: string): Buffer | null {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
    const bytes = Buffer.from(cursor, 'base64url');
    if (bytes.length <= MAC_BYTES) return null;
    const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
    const mac = bytes.subarray(bytes.length - MAC_BYTES);
    return this.secrets.some((secret) => timingSafeEqual(mac, this.mac(secret, context, payload))) ? payload : null;
  }

  private mac(secret: string, context: string, payload: Buffer): Buffer {
    return createHmac('sha256', secret).update(context).update('\u0000').update(payload).digest().subarray(0, MAC_BYTES);
  }
}
