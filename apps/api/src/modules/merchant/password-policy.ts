import { badInput } from '../../domain/errors.js';

export const MIN_PASSWORD_LENGTH = 12;
/** argon2 hashes any length; a cap keeps one request from making it hash megabytes. */
export const MAX_PASSWORD_LENGTH = 256;

/**
 * The one rule for every password a person chooses (staff passwords, the supervisor password):
 * long enough to resist guessing (length matters more than composition rules), not absurdly long,
 * and not the account's own email or its local part, the first thing a guesser tries.
 */
export function assertAcceptablePassword(password: string, field: string, context: { email?: string } = {}): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw badInput(field, `The password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw badInput(field, `The password may have at most ${MAX_PASSWORD_LENGTH} characters`);
  if (!password.trim()) throw badInput(field, 'The password must not be blank');
  if (context.email) {
    const email = context.email.trim().toLowerCase();
    const candidate = password.trim().toLowerCase();
    if (candidate === email || candidate === email.split('@')[0]) throw badInput(field, 'The password must not be the email address');
  }
}
