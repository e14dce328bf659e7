import { randomUUID } from 'node:crypto';
import { type ActionFailure, fail } from '@sveltejs/kit';
import { ApiError, apiErrorOf } from './api';

/** What every form action answers when it refuses: which form, what was typed, and a message per field (or for the form). */
export interface Refusal {
  form: string;
  values: Record<string, string>;
  errors: Record<string, string>;
  message?: string;
}

/** A field-level problem found by the console before asking the API. */
export class FieldProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The text fields of a submitted form, trimmed (files and repeated names are read separately). */
export function textFields(data: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of data) if (typeof value === 'string' && !(name in values)) values[name] = value.trim();
  return values;
}

export function required(values: Record<string, string>, field: string, message: string): string {
  const value = values[field] ?? '';
  if (!value) throw new FieldProblem(field, message);
  return value;
}

/** A fresh key for a money-moving form: rendered into it, so that sending the same form twice moves money once. */
export const newIdempotencyKey = () => randomUUID();

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,120}$/;

/**
 * Runs a form's work and turns what went wrong into a 400 (or 429) with the message at its field:
 * a FieldProblem found here, or the API's refusal, whose `extensions.field` (`input.email`,
 * `lines.0.quantity`) is mapped to the form's field by `fieldOf`. Nothing else is caught: a redirect
 * (signed out) and an unavailable API pass through.
 */
export async function attempt<T>(
  form: string,
  values: Record<string, string>,
  work: () => Promise<T>,
  fieldOf: (apiField: string) => string | undefined = (field) => field.split('.').pop(),
): Promise<T | ActionFailure<Refusal>> {
  try {
    return await work();
  } catch (cause) {
    if (cause instanceof FieldProblem) {
      // A problem with no field of its own on the form (an out-of-date form, the card form) is the form's message.
      if (!(cause.field in values)) return fail(400, { form, values, errors: {}, message: cause.message });
      return fail(400, { form, values, errors: { [cause.field]: cause.message } });
    }
    const problem = cause instanceof ApiError ? cause : apiErrorOf(cause);
    if (!problem) throw cause;
    const field = problem.field ? fieldOf(problem.field) : undefined;
    const message = messageFor(problem);
    const status = problem.code === 'TOO_MANY_ATTEMPTS' ? 429 : 400;
    if (field && field in values) return fail(status, { form, values, errors: { [field]: message } });
    return fail(status, { form, values, errors: {}, message });
  }
}

/** The API's message, in the console's words where the API's are written for developers. */
export function messageFor(problem: ApiError): string {
  switch (problem.code) {
    case 'ALREADY_REFUNDED':
      return 'A refund has already been issued for this payment.';
    case 'SUPERVISOR_REQUIRED':
      return 'The supervisor approval has ended. Enter the supervisor password again.';
    case 'INVALID_SUPERVISOR_PASSWORD':
      return 'That is not the supervisor password.';
    case 'TOO_MANY_ATTEMPTS': {
      const seconds = Number(problem.extensions.retryAfterSeconds);
      return `Too many wrong passwords. Try again in ${Number.isFinite(seconds) ? Math.ceil(seconds / 60) : 15} minutes.`;
    }
    case 'FORBIDDEN':
      return 'Only a supervisor may do this.';
    default: {
      // class-validator's messages come as "Invalid input: email must be ...": keep the part for people.
      const message = problem.message.replace(/^Invalid input: /, '');
      return message.charAt(0).toUpperCase() + message.slice(1);
    }
  }
}
