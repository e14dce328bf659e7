import { randomUUID } from 'node:crypto';
import { GrantPartnerAccessDocument } from '@kometpay/schema/merchant';
import type { TestApi, TestMerchant } from '../support/api.js';
import { expectGraphQLError, rawPost } from '../support/graphql.js';
import { type Recording, subscribe, wsUrl } from '../support/subscriptions.js';
import { PartnerRig, transactionIds } from './support.js';

let rig: PartnerRig;
let t: TestApi;
let merchantA: TestMerchant;

beforeAll(async () => {
  rig = await PartnerRig.start();
  t = rig.t;
  merchantA = await t.createMerchant('Acme Flowers');
});
afterEach(() => rig.closeStreams());
afterAll(() => t.close());

const kometpay = (...args: string[]) => rig.kometpay(...args);
const onboardPartner = (name: string) => rig.onboardPartner(name);
const sentInvoice = (merchant: TestMerchant, unitAmount?: string) => rig.sentInvoice(merchant, unitAmount);
const pay = (merchant: TestMerchant, invoiceId: string, amount?: string, apiUrl?: string) => rig.pay(merchant, invoiceId, amount, apiUrl);
const grant = (merchant: TestMerchant, partnerId: string) => rig.grant(merchant, partnerId);
const revoke = (merchant: TestMerchant, partnerId: string) => rig.revoke(merchant, partnerId);
const cursorNow = (merchantId: string) => rig.cursorNow(merchantId);
const follow = (...args: Parameters<PartnerRig['follow']>) => rig.follow(...args);
const recorded = <T>(recording: Recording<T>) => rig.recorded(recording);

describe('partner onboarding and grants', () => {
  it('onboards a partner with the CLI; a merchant grants and revokes access with coded errors for bad input', async () => {
    const created = await kometpay('partner', 'create', '--name', 'Ledgerly');
    const issued = await kometpay('partner', 'api-key', 'create', '--partner', created.id, '--label', 'erp sync');
    expect(issued).toMatchObject({ partnerId: created.id, label: 'erp sync', key: expect.stringMatching(/^kpp_/) });
    expect(issued.key.startsWith(issued.prefix)).toBe(true);
    expect((await kometpay('partner', 'list')).partners.map((p: { id: string }) => p.id)).toContain(created.id);
    const partner = { id: created.id, authorization: `Bearer ${issued.key}` };

    expect(await grant(merchantA, partner.id)).toEqual({ grantPartnerAccess: true });
    expect(await grant(merchantA, partner.id)).toEqual({ grantPartnerAccess: true });
    expect(await revoke(merchantA, partner.id)).toEqual({ revokePartnerAccess: true });
    expect(await revoke(merchantA, partner.id)).toEqual({ revokePartnerAccess: true });
    for (const partnerId of [randomUUID(), 'not-a-uuid']) {
      expect((await expectGraphQLError(merchantA.client(), GrantPartnerAccessDocument, { partnerId })).extensions).toMatchObject({
        code: 'NOT_FOUND',
        field: 'partnerId',
      });
    }
    // Only the changes are events (and audit rows): grant, revoke.
    const events = await t.orm.em
      .fork()
      .execute<{ type: string }[]>(
        `select type from outbox_event where aggregate_type = 'partner_grant' and payload->>'partnerId' = ? order by position`,
        [partner.id],
      );
    expect(events.map((e) => e.type)).toEqual(['partner_grant.granted', 'partner_grant.revoked']);

    const refused = await kometpay('partner', 'api-key', 'create', '--partner', randomUUID()).catch((error) => error);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stderr).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'partner' });

    // The CLI's key works once access is granted again, and no longer once the CLI revokes it: its
    // open stream ends, UNAUTHENTICATED, and a new connection is refused.
    await grant(merchantA, partner.id);
    const url = wsUrl(t.url, '/graphql');
    const stream = follow(url, { merchantId: merchantA.id, after: await cursorNow(merchantA.id) }, partner.authorization);
    const paid = await pay(merchantA, (await sentInvoice(merchantA)).id);
    expect(transactionIds(await stream.waitForResults(1))).toEqual([paid]);
    await kometpay('partner', 'api-key', 'revoke', '--partner', partner.id, '--prefix', issued.prefix);
    await stream.waitForEnd(2000);
    expect(stream.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    const afterRevoke = follow(url, { merchantId: merchantA.id }, partner.authorization);
    await afterRevoke.waitForEnd();
    expect(afterRevoke.results).toEqual([]);
    expect(afterRevoke.errors[0].message).toContain('4403');
  });

  it('gives a partner key nothing over HTTP, and over graphql-ws only the payment subscription', async () => {
    const partner = await onboardPartner('Narrow Partner');
    await grant(merchantA, partner.id);
    const overHttp = await rawPost(`${t.url}/graphql`, JSON.stringify({ query: '{ merchant { id } }' }), {
      authorization: partner.authorization,
    });
    expect(overHttp.status).toBe(403);
    expect(overHttp.json.errors[0].extensions.code).toBe('FORBIDDEN');

    const url = wsUrl(t.url, '/graphql');
    const query = recorded(subscribe(url, '{ merchant { id } }', {}, partner.authorization));
    await query.waitForEnd();
    expect(query.errors[0].extensions?.code).toBe('FORBIDDEN');
    const vault = recorded(
      subscribe(
        url,
        `subscription ($merchantId: ID) {
      paymentStatusChanged(merchantId: $merchantId) { transaction { customer { vaultedCards { id } invoices { edges { cursor } } } } } }`,
        { merchantId: merchantA.id },
        partner.authorization,
      ),
    );
    await vault.waitForEnd();
    expect(vault.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
  });
});
