import { isEmail } from 'class-validator';
import { badInput } from '../../domain/errors.js';

/**
 * An address we will put in a mail header (Reply-To) or send to: a plain dot-atom address, no quoted
 * local part, no comments, nothing but printable ASCII. Lowercased.
 */
export function parseEmailAddress(input: string, field: string): string {
  const value = input.trim().toLowerCase();
  if (value.length > 254 || !/^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(value) || !isEmail(value)) {
    throw badInput(field, `${field} must be a valid email address`);
  }
  return value;
}
