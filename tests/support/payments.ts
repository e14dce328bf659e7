/** Tokenises test instruments through the sandbox's Stripe-shaped tokeniser, as the pay page does. */
export async function tokenise(apiUrl: string, fields: Record<string, string>): Promise<string> {
  const response = await fetch(`${apiUrl}/sandbox/v1/payment_methods`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const body = (await response.json()) as { id?: string; error?: { message: string } };
  if (!response.ok || !body.id) throw new Error(`tokeniser refused: ${JSON.stringify(body)}`);
  return body.id;
}

export const card = (number: string) => ({
  type: 'card',
  'card[number]': number,
  'card[exp_month]': '12',
  'card[exp_year]': '2034',
  'card[cvc]': '123',
});
export const bankAccount = (account: string) => ({
  type: 'us_bank_account',
  'us_bank_account[routing_number]': '110000000',
  'us_bank_account[account_number]': account,
});

export const TEST_CARDS = {
  visaCredit: '4242424242424242',
  visaDebit: '4000056655665556',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  expired: '4000000000000069',
} as const;

/** Polls until `check` returns a value (or the time runs out). */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
