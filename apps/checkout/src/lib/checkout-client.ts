import type { CardSetupResponse } from './card-setup-link';
import type { MicrodepositAnswer, PaymentAttempt, PaymentLink, PaymentResponse } from './payment-link';

/** The browser's calls to the checkout server (never to the API). */

export async function submitPayment(token: string, attempt: PaymentAttempt): Promise<PaymentResponse> {
  const response = await fetch(`/pay/${token}/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(attempt),
  });
  if (!response.ok) throw new Error(`the checkout answered ${response.status}`);
  return response.json();
}

/** After Stripe.js ran the customer's 3-D Secure: asks how the payment ended. */
export async function completePayment(token: string, paymentId: string): Promise<PaymentResponse> {
  return postJson(`/pay/${token}/payments/${paymentId}/complete`, {});
}

/** The customer's answer to their bank account's micro-deposits. */
export async function submitMicrodeposits(token: string, paymentId: string, answer: MicrodepositAnswer): Promise<PaymentResponse> {
  return postJson(`/pay/${token}/payments/${paymentId}/microdeposits`, answer);
}

async function postJson(url: string, body: unknown): Promise<PaymentResponse> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`the checkout answered ${response.status}`);
  return response.json();
}

export async function fetchLink(token: string): Promise<PaymentLink> {
  const response = await fetch(`/pay/${token}/status`);
  if (!response.ok) throw new Error(`the checkout answered ${response.status}`);
  return response.json();
}

/** "Save card": only the tokeniser's token goes to the checkout server, which saves it with the link. */
export async function saveCard(token: string, paymentMethodToken: string): Promise<CardSetupResponse> {
  const response = await fetch(`/card/${token}/save`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ paymentMethodToken }),
  });
  if (!response.ok) throw new Error(`the checkout answered ${response.status}`);
  return response.json();
}
