/** The tokeniser's refusal, naming the field it is about (Stripe's `param`, e.g. `card[number]`). */
export class TokeniserError extends Error {
  constructor(
    message: string,
    readonly param: string | null,
  ) {
    super(message);
  }
}

/**
 * Sandbox mode: the browser posts the card or bank details straight to the processor's tokeniser
 * (Stripe's create-PaymentMethod shape, form-encoded) and gets back a `pm_...` token. The details
 * never reach KometPay's servers; only the token does.
 */
export async function tokenise(tokeniserUrl: string, fields: Record<string, string>): Promise<string> {
  const response = await fetch(tokeniserUrl, { method: 'POST', body: new URLSearchParams(fields), credentials: 'omit' });
  const body: { id?: string; error?: { message?: string; param?: string } } | null = await response.json().catch(() => null);
  if (response.ok && body?.id) return body.id;
  throw new TokeniserError(body?.error?.message ?? 'These details could not be checked. Please try again.', body?.error?.param ?? null);
}
