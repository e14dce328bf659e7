import { randomUUID } from 'node:crypto';
import {
  CustomerInvoiceNumbersDocument,
  InvoiceDetailFragmentDoc,
  InvoicePageDocument,
  type InvoicePageQueryVariables,
  InvoicePageWithDetailDocument,
  RecordOfflinePaymentDocument,
} from '@kometpay/schema/merchant';
import { type FragmentDefinitionNode, print } from 'graphql';
import type { GraphQLClient } from 'graphql-request';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { openShop } from '../support/shop.js';

let t: TestApi;
let other: TestMerchant;

beforeAll(async () => {
  t = await startTestApi();
  other = await t.createMerchant('Other Merchant');
});
afterAll(() => t.close());

describe('listing invoices', () => {
  it('paginates newest first with cursors, filters by status and customer', async () => {
    const lister = await openShop(t, 'Lister', { name: 'One', email: 'one@example.com' });
    const client = lister.client;
    const c1 = lister.customerId;
    const c2 = await lister.addCustomer({ name: 'Two', email: 'two@example.com' });
    const drafts = [];
    for (let i = 0; i < 5; i++) {
      const lines = [{ description: 'x', quantity: 1, unitAmount: '100' }];
      drafts.push(await lister.draftInvoice({ customerId: i % 2 ? c2 : c1, number: `L-${i}`, lines }));
    }
    await lister.send(drafts[4]);
    const page = (variables: InvoicePageQueryVariables) => listPage(client, variables);
    const numbers = (connection: Awaited<ReturnType<typeof listPage>>) => connection.edges.map((e) => e.node.number);
    const first = await page({ first: 2 });
    expect(numbers(first)).toEqual(['L-4', 'L-3']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page({ first: 2, after: first.pageInfo.endCursor });
    expect(numbers(second)).toEqual(['L-2', 'L-1']);
    const last = await page({ first: 2, after: second.pageInfo.endCursor });
    expect(numbers(last)).toEqual(['L-0']);
    expect(last.pageInfo.hasNextPage).toBe(false);

    expect(numbers(await page({ status: 'OPEN' }))).toEqual(['L-4']);
    expect(numbers(await page({ customerId: c2 }))).toEqual(['L-3', 'L-1']);
    const viaCustomer = (await client.request(CustomerInvoiceNumbersDocument, { id: c1 })).customer;
    expect(viaCustomer?.invoices.edges.map((e) => e.node.number)).toEqual(['L-4', 'L-2', 'L-0']);
    // Another merchant sees none of them.
    expect((await listPage(other.client(), {})).edges).toEqual([]);
    expect((await expectGraphQLError(client, InvoicePageDocument, { first: 101 })).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await expectGraphQLError(client, InvoicePageDocument, { after: 'garbage' })).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('issues a constant number of SQL statements whatever the page size', async () => {
    // An instance without a job worker: background jobs (email delivery) would share the counted ORM.
    const quiet = await startTestApi({ RUN_JOBS: 'false' });
    try {
      await countStatements(quiet);
    } finally {
      await quiet.close();
    }
  });
});

async function listPage(client: GraphQLClient, variables: InvoicePageQueryVariables) {
  return (await client.request(InvoicePageDocument, variables)).invoices;
}

/** Seeds 60 invoices x 2 payments and checks that a page of 50 costs the statements a page of 5 does. */
async function countStatements(t: TestApi): Promise<void> {
  const bulk = await openShop(t, 'Bulk', { name: 'Bulk Buyer', email: 'bulk@example.com' });
  const client = bulk.client;
  for (let i = 0; i < 60; i++) {
    const lines = [
      { description: 'a', quantity: 1, unitAmount: '1000' },
      { description: 'b', quantity: 2, unitAmount: '50' },
    ];
    const { id } = await bulk.sentInvoice({ number: `B-${i}`, lines });
    await client.request(RecordOfflinePaymentDocument, { invoiceId: id, amount: '100', method: 'CASH', idempotencyKey: randomUUID() });
    await client.request(RecordOfflinePaymentDocument, { invoiceId: id, amount: '200', method: 'CHECK', idempotencyKey: randomUUID() });
  }
  const count = async (first: number) => {
    t.queries.length = 0;
    const data = await client.request(InvoicePageWithDetailDocument, { first });
    expect(data.invoices.edges).toHaveLength(first);
    // The key's last use is stamped at most once a minute: that write may fall in any request.
    return t.queries.filter((sql) => !/^\[query\] update "api_key"/.test(sql)).length;
  };
  // The same page with first written literally (the cost limit weighs literal list sizes) is not refused.
  // Inline, as written by hand: the cost limit weighs a fragment spread more than its fields.
  const [fragment] = InvoiceDetailFragmentDoc.definitions as [FragmentDefinitionNode];
  const literal = await client.request<{ invoices: { edges: unknown[] } }>(
    `{ invoices(first: 50) { edges { node ${print(fragment.selectionSet)} } } }`,
  );
  expect(literal.invoices.edges).toHaveLength(50);
  const forFive = await count(5);
  const forFifty = await count(50);
  expect(forFifty).toBe(forFive);
  expect(forFifty).toBeLessThanOrEqual(7);
}
