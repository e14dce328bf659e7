import validator from 'validator';

/**
 * Control characters (C0, DEL, C1) and Unicode line separators. validator's isEmail follows RFC 5321,
 * which lets a quoted local part hold CR and LF ("a\r\nBcc: x"@example.com): written into a mail
 * header, that is a header injection. No address we send to needs one.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's purpose.
const controlCharacter = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;

/** The longest address SMTP can carry (RFC 5321: 64 + 1 + 255). */
export const MAX_EMAIL_LENGTH = 320;

/** The one check of an email address, wherever one is accepted or sent to. */
export function isEmailAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_EMAIL_LENGTH && !controlCharacter.test(value) && validator.isEmail(value);
}
