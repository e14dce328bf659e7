import { createHash, randomBytes } from 'node:crypto';

/** A URL-safe random secret; 32 bytes = 256 bits of entropy. */
export function generateSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * SHA-256 of a high-entropy token, hex. Tokens we issue carry >= 128 random bits, so a fast hash is
 * enough to make a stolen table useless; passwords (low entropy) use argon2 instead.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A uuid check, so that a malformed id answers "not found" instead of reaching PostgreSQL. */
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
