import type { CursorSigner } from '../../domain/cursor-signer.js';
import { DomainError, ErrorCode } from '../../domain/errors.js';

const VERSION = 1;

/**
 * A payment event's cursor: its outbox position, signed for the merchant whose stream it belongs
 * to. Opaque to clients; one the API did not issue (forged, altered, another merchant's, or signed
 * with a secret since retired) is refused with INVALID_CURSOR.
 */
export class PaymentEventCursors {
  constructor(private readonly signer: CursorSigner) {}

  issue(merchantId: string, position: bigint): string {
    const payload = Buffer.alloc(9);
    payload.writeUInt8(VERSION, 0);
    payload.writeBigUInt64BE(position, 1);
    return this.signer.sign(contextOf(merchantId), payload);
  }

  /** The position a cursor of `merchantId`'s stream stands for. */
  read(merchantId: string, cursor: string, field = 'after'): bigint {
    const payload = this.signer.verify(contextOf(merchantId), cursor);
    if (payload?.length !== 9 || payload.readUInt8(0) !== VERSION) {
      throw new DomainError(
        ErrorCode.INVALID_CURSOR,
        'The cursor is not one this API issued for this merchant; subscribe without `after` to start from now',
        { field },
      );
    }
    return payload.readBigUInt64BE(1);
  }
}

const contextOf = (merchantId: string) => `payment-event:${merchantId.toLowerCase()}`;
