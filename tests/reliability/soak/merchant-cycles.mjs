/**
 * The merchants' side of the mix: each merchant runs one cycle per `cycleMs`, on its own clock and
 * half a period apart: createInvoice + sendInvoice, a card tokenised at the sandbox as the pay page
 * does, payWithLink on the new link, then a page of the transaction log. Every request is counted
 * in `tally` (request-tally.mjs); a payment answered without errors but not SUCCEEDED is a failure
 * of kind 'payment'. Succeeded payments are kept, to check that each was announced as an event.
 */
import { classifyAnswer, classifyException, countFailure, countOk } from './request-tally.mjs';

const CREATE_INVOICE = `mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`;
const SEND_INVOICE = `mutation ($id: ID!) { sendInvoice(id: $id) { paymentLink { url } } }`;
const PAY_WITH_LINK = `mutation ($token: String!, $pm: String!, $key: String!) { payWithLink(token: $token, paymentMethodToken: $pm, idempotencyKey: $key) {
  status failureCode receipt { amount { amount } last4 authorizationCode } link { status amountDue { amount } } } }`;
const TRANSACTION_LOG = `{ transactions(first: 20) { edges { cursor node { id kind status channel method amount { amount } createdAt } } pageInfo { hasNextPage endCursor } } }`;
/** Stripe's test Visa, as the pay page's form would send it to the sandbox's tokeniser. */
const TEST_CARD = {
  type: 'card',
  'card[number]': '4242424242424242',
  'card[exp_month]': '12',
  'card[exp_year]': '2034',
  'card[cvc]': '123',
};
const TIMEOUT_MS = 10_000;

export function startMerchantCycles({ urls, shops, cycleMs, tally }) {
  const payments = [];
  let running = true;
  let cycles = 0;

  /**
   * One request, counted: its JSON answer, or null when it failed in any way. `judge` may refuse an
   * answer that came back without errors (a payment that did not succeed).
   */
  async function call(url, { json, form, authorization, judge = () => null }) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
          ...(authorization ? { authorization } : {}),
        },
        body: json ? JSON.stringify(json) : new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const text = await response.text();
      // The sandbox's tokeniser answers Stripe-shaped JSON, not GraphQL: its status is what counts.
      const failure =
        (json ? classifyAnswer(response.status, text) : response.ok ? null : { kind: 'http', detail: `${response.status} sandbox` }) ??
        judge(JSON.parse(text));
      if (failure) {
        countFailure(tally, failure);
        return null;
      }
      countOk(tally);
      return JSON.parse(text);
    } catch (error) {
      countFailure(tally, classifyException(error));
      return null;
    }
  }

  async function cycle(shop, api, n) {
    const { authorization } = shop;
    const input = {
      customerId: shop.customerId,
      number: `SOAK-${n}-${shop.merchantId.slice(0, 8)}`,
      currency: 'USD',
      lines: [{ description: 'Peonies', quantity: 2, unitAmount: String(1_000 + n) }],
    };
    const created = await call(`${api}/graphql`, { json: { query: CREATE_INVOICE, variables: { input } }, authorization });
    const sent =
      created &&
      (await call(`${api}/graphql`, { json: { query: SEND_INVOICE, variables: { id: created.data.createInvoice.id } }, authorization }));
    const card = sent && (await call(`${api}/sandbox/v1/payment_methods`, { form: TEST_CARD }));
    if (card) {
      const url = sent.data.sendInvoice.paymentLink.url;
      const paid = await call(`${api}/checkout/graphql`, {
        json: {
          query: PAY_WITH_LINK,
          variables: { token: url.slice(url.lastIndexOf('/') + 1), pm: card.id, key: `soak-${shop.merchantId}-${n}` },
        },
        judge: ({ data }) =>
          data.payWithLink.status === 'SUCCEEDED'
            ? null
            : { kind: 'payment', detail: `${data.payWithLink.status} ${data.payWithLink.failureCode ?? ''}`.trim() },
      });
      if (paid) payments.push({ merchantId: shop.merchantId, invoiceId: created.data.createInvoice.id });
    }
    await call(`${api}/graphql`, { json: { query: TRANSACTION_LOG }, authorization });
    cycles++;
  }

  const loops = shops.map(async (shop, index) => {
    await new Promise((resolve) => setTimeout(resolve, (index * cycleMs) / shops.length));
    const start = Date.now();
    for (let n = 0; running; n++) {
      await cycle(shop, urls[(n + index) % urls.length], n);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + (n + 1) * cycleMs - Date.now())));
    }
  });

  return {
    payments,
    cycles: () => cycles,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
