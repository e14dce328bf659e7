import { badInput } from '../../domain/errors.js';

const MAX_POSITION = 2n ** 63n - 1n;

/** A payment event's cursor: its outbox position, opaque to clients. */
export function encodeEventCursor(position: bigint): string {
  return Buffer.from(`outbox:${position}`, 'utf8').toString('base64url');
}

export function decodeEventCursor(cursor: string, field = 'after'): bigint {
  const match = /^outbox:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const position = match ? BigInt(match[1]) : -1n;
  if (position < 0n || position > MAX_POSITION) throw badInput(field, 'The cursor is not one this API issued');
  return position;
}
