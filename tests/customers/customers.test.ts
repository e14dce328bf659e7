import {
  ArchiveCustomerDocument,
  CreateCustomerDocument,
  CreateInvoiceDocument,
  CustomerPageDocument,
  type CustomerPageQueryVariables,
  InvoiceCustomerDocument,
  RestoreCustomerDocument,
  UpdateCustomerDocument,
} from '@kometpay/schema/merchant';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';

let t: TestApi;
let merchant: TestMerchant;
let other: TestMerchant;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApi();
  merchant = await t.createMerchant('Listing Flowers');
  other = await t.createMerchant('Other Flowers');
  const people = [
    { name: 'Zinnia Wholesale', email: 'ap@zinnia.example', externalRef: 'C-9001' },
    { name: 'bloom & stem', email: 'billing@bloomstem.example', externalRef: 'C-1001' },
    { name: 'Azalea Events', email: 'accounts@azalea.example', externalRef: 'ERP-77' },
    { name: 'Marigold Market', email: 'pay@marigold.example' },
    { name: '100% Orchids_Ltd', email: 'ap@orchids.example', externalRef: 'C-5000' },
  ];
  for (const input of people) ids[input.name] = (await merchant.client().request(CreateCustomerDocument, { input })).createCustomer.id;
  await other.client().request(CreateCustomerDocument, {
    input: { name: 'Azalea Events (theirs)', email: 'ap@azalea-other.example', externalRef: 'ERP-77' },
  });
});
afterAll(() => t.close());

const list = async (variables: CustomerPageQueryVariables, who = merchant) =>
  (await who.client().request(CustomerPageDocument, variables)).customers;
const names = (page: Awaited<ReturnType<typeof list>>) => page.edges.map((edge) => edge.node.name);

describe('listing and searching customers', () => {
  it('pages through them alphabetically (case-insensitive) with keyset cursors', async () => {
    const first = await list({ first: 2 });
    expect(names(first)).toEqual(['100% Orchids_Ltd', 'Azalea Events']);
    expect(first.pageInfo).toEqual({ hasNextPage: true, endCursor: first.edges[1].cursor });
    const second = await list({ first: 2, after: first.pageInfo.endCursor });
    expect(names(second)).toEqual(['bloom & stem', 'Marigold Market']);
    // A customer added before the cursor's position does not shift the next page.
    await merchant.client().request(CreateCustomerDocument, { input: { name: 'Aster Florists', email: 'ap@aster.example' } });
    const third = await list({ first: 2, after: second.pageInfo.endCursor });
    expect(names(third)).toEqual(['Zinnia Wholesale']);
    expect(third.pageInfo.hasNextPage).toBe(false);
    expect((await expectGraphQLError(merchant.client(), CustomerPageDocument, { after: 'not-a-cursor' })).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
    expect((await expectGraphQLError(merchant.client(), CustomerPageDocument, { first: 1000 })).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
  });

  it('searches the name, email and external reference, case-insensitively, within the merchant only', async () => {
    expect(names(await list({ search: 'AZALEA' }))).toEqual(['Azalea Events']);
    expect(names(await list({ search: 'billing@bloom' }))).toEqual(['bloom & stem']);
    expect(names(await list({ search: 'erp-77' }))).toEqual(['Azalea Events']);
    expect(names(await list({ search: 'c-' }))).toEqual(['100% Orchids_Ltd', 'bloom & stem', 'Zinnia Wholesale']);
    // LIKE's wildcards are searched for as themselves.
    expect(names(await list({ search: '100%' }))).toEqual(['100% Orchids_Ltd']);
    expect(names(await list({ search: '_ltd' }))).toEqual(['100% Orchids_Ltd']);
    expect(names(await list({ search: '%' }))).toEqual(['100% Orchids_Ltd']);
    expect(names(await list({ search: 'azalea' }, other))).toEqual(['Azalea Events (theirs)']);
  });
});

describe('correcting a customer', () => {
  it('fixes a wrong accounts-payable email, audited, and changes only what was given', async () => {
    const { updateCustomer } = await merchant.client().request(UpdateCustomerDocument, {
      id: ids['Marigold Market'],
      input: { email: 'AP@Marigold.example' },
    });
    expect(updateCustomer).toEqual({
      id: ids['Marigold Market'],
      name: 'Marigold Market',
      email: 'ap@marigold.example',
      externalRef: null,
      archived: false,
    });
    const { updateCustomer: renamed } = await merchant.client().request(UpdateCustomerDocument, {
      id: ids['Marigold Market'],
      input: { name: 'Marigold Market Co', externalRef: 'C-2002' },
    });
    expect(renamed).toMatchObject({ name: 'Marigold Market Co', email: 'ap@marigold.example', externalRef: 'C-2002' });
    const cleared = await merchant.client().request(UpdateCustomerDocument, { id: ids['Marigold Market'], input: { externalRef: null } });
    expect(cleared.updateCustomer.externalRef).toBeNull();
    const rows = await t.orm.em
      .fork()
      .getConnection()
      .execute<{ details: Record<string, unknown> }[]>(
        "select details from audit_log where action = 'customer.updated' and target_id = ? order by id",
        [ids['Marigold Market']],
      );
    expect(rows[0].details).toEqual({ email: { from: 'pay@marigold.example', to: 'ap@marigold.example' } });
  });

  it('refuses bad input, a duplicate reference and another merchant’s customer, changing nothing', async () => {
    const before = (await list({ search: 'zinnia' })).edges[0].node;
    expect(
      (
        await expectGraphQLError(merchant.client(), UpdateCustomerDocument, {
          id: ids['Zinnia Wholesale'],
          input: { email: 'not-an-email' },
        })
      ).extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    expect(
      (await expectGraphQLError(merchant.client(), UpdateCustomerDocument, { id: ids['Zinnia Wholesale'], input: { name: '' } }))
        .extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(
      (
        await expectGraphQLError(merchant.client(), UpdateCustomerDocument, {
          id: ids['Zinnia Wholesale'],
          input: { externalRef: 'C-1001' },
        })
      ).extensions,
    ).toMatchObject({ code: 'DUPLICATE', field: 'externalRef' });
    expect(
      (await expectGraphQLError(other.client(), UpdateCustomerDocument, { id: ids['Zinnia Wholesale'], input: { name: 'Hijacked' } }))
        .extensions?.code,
    ).toBe('NOT_FOUND');
    expect(
      (await expectGraphQLError(merchant.client(), UpdateCustomerDocument, { id: 'nope', input: { name: 'X' } })).extensions?.code,
    ).toBe('NOT_FOUND');
    expect((await expectGraphQLError(other.client(), ArchiveCustomerDocument, { id: ids['Zinnia Wholesale'] })).extensions?.code).toBe(
      'NOT_FOUND',
    );
    expect((await list({ search: 'zinnia' })).edges[0].node).toEqual(before);
  });
});

describe('archiving a customer', () => {
  it('takes no new invoices for it, keeps its history, hides it from the list unless asked, and can be undone', async () => {
    const id = ids['Azalea Events'];
    const invoiceInput = (number: string) => ({
      customerId: id,
      number,
      currency: 'USD',
      lines: [{ description: 'Azaleas', quantity: 1, unitAmount: '1000' }],
    });
    const { createInvoice } = await merchant.client().request(CreateInvoiceDocument, { input: invoiceInput('AZ-1') });

    expect((await merchant.client().request(ArchiveCustomerDocument, { id })).archiveCustomer.archived).toBe(true);
    const refused = await expectGraphQLError(merchant.client(), CreateInvoiceDocument, { input: invoiceInput('AZ-2') });
    expect(refused.extensions).toMatchObject({ code: 'CUSTOMER_ARCHIVED', field: 'customerId' });
    expect(names(await list({ search: 'azalea' }))).toEqual([]);
    expect(names(await list({ search: 'azalea', includeArchived: true }))).toEqual(['Azalea Events']);
    const history = await merchant.client().request(InvoiceCustomerDocument, { id: createInvoice.id });
    expect(history.invoice?.customer.archived).toBe(true);
    const count = await t.orm.em
      .fork()
      .getConnection()
      .execute<{ n: number }[]>("select count(*)::int as n from invoice where number = 'AZ-2'");
    expect(count[0].n).toBe(0);

    await merchant.client().request(RestoreCustomerDocument, { id });
    await merchant.client().request(CreateInvoiceDocument, { input: invoiceInput('AZ-2') });
    const actions = await t.orm.em
      .fork()
      .getConnection()
      .execute<{ action: string }[]>('select action from audit_log where target_id = ? order by id', [id]);
    expect(actions.map((row) => row.action)).toEqual(['customer.archived', 'customer.restored']);
  });
});
