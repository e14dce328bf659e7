/**
 * The soak's world, made the way a real one is: two merchants and three partners onboarded with
 * the operator CLI, partners granted access by the merchants over GraphQL, a customer each, and
 * the sent invoices whose links S1 reads (createInvoice + sendInvoice, through the API).
 */
import { operatorCli } from './kometpay-parts.mjs';

const MERCHANTS = ['Soak Flowers', 'Soak Plants'];
/** Partner name and the merchants (by index) that granted it access. */
const PARTNERS = [
  ['Ledgerly', [0, 1]],
  ['Books A', [0]],
  ['Books B', [1]],
];

/** A GraphQL request that must succeed (the world's setup): its data, or an error saying what failed. */
export async function graphql(url, document, variables = {}, authorization) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query: document, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok || !body || body.errors)
    throw new Error(`${url}: ${response.status} ${JSON.stringify(body?.errors ?? body)} for ${document.slice(0, 60)}`);
  return body.data;
}

/**
 * Opens the world on the API at `urls` (the first one does the setup) over `databaseUrl` (the CLI's).
 * Answers { shops: [{ merchantId, authorization, customerId }], partners: [{ id, authorization, merchants }], readTokens }.
 */
export async function openWorld({ databaseUrl, urls, links, say }) {
  const api = urls[0];
  say(`onboarding ${MERCHANTS.length} merchants and ${PARTNERS.length} partners with the operator CLI`);
  const [merchants, partners] = await Promise.all([
    Promise.all(
      MERCHANTS.map(async (name) => {
        const merchant = await operatorCli(databaseUrl, 'merchant', 'create', '--name', name, '--generate-supervisor-password');
        const { key } = await operatorCli(databaseUrl, 'merchant', 'api-key', 'create', '--merchant', merchant.id, '--label', 'soak');
        return { merchantId: merchant.id, authorization: `Bearer ${key}` };
      }),
    ),
    Promise.all(
      PARTNERS.map(async ([name, granted]) => {
        const partner = await operatorCli(databaseUrl, 'partner', 'create', '--name', name);
        const { key } = await operatorCli(databaseUrl, 'partner', 'api-key', 'create', '--partner', partner.id, '--label', 'soak');
        return { id: partner.id, authorization: `Bearer ${key}`, granted };
      }),
    ),
  ]);
  const shops = [];
  for (const merchant of merchants) {
    const { createCustomer } = await graphql(
      `${api}/graphql`,
      `mutation { createCustomer(input: { name: "Soak Buyer", email: "buyer@soak.example" }) { id } }`,
      {},
      merchant.authorization,
    );
    shops.push({ ...merchant, customerId: createCustomer.id });
  }
  for (const partner of partners) {
    partner.merchants = partner.granted.map((index) => shops[index].merchantId);
    for (const index of partner.granted)
      await graphql(
        `${api}/graphql`,
        'mutation ($p: ID!) { grantPartnerAccess(partnerId: $p) }',
        { p: partner.id },
        shops[index].authorization,
      );
  }

  say(`sending ${links} invoices for S1 to read their links`);
  const readTokens = [];
  let made = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (made < links) {
        const n = made++;
        readTokens.push(await sendInvoice(api, shops[n % shops.length], `SOAK-READ-${n}`, 10_000 + n));
      }
    }),
  );
  return { shops, partners: partners.map(({ granted, ...partner }) => partner), readTokens };
}

/** A sent invoice's link token (the link's URL is answered once, by sendInvoice). */
async function sendInvoice(api, shop, number, amount) {
  const input = {
    customerId: shop.customerId,
    number: `${number}-${shop.merchantId.slice(0, 8)}`,
    currency: 'USD',
    lines: [{ description: 'Tulips', quantity: 1, unitAmount: String(amount) }],
  };
  const { createInvoice } = await graphql(
    `${api}/graphql`,
    'mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }',
    { input },
    shop.authorization,
  );
  const { sendInvoice: sent } = await graphql(
    `${api}/graphql`,
    'mutation ($id: ID!) { sendInvoice(id: $id) { paymentLink { url } } }',
    { id: createInvoice.id },
    shop.authorization,
  );
  const url = sent.paymentLink.url;
  return url.slice(url.lastIndexOf('/') + 1);
}
