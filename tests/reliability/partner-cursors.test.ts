import { randomUUID } from 'node:crypto';
import {
  GrantPartnerAccessDocument,
  PaymentStatusChangedDocument,
  type PaymentStatusChangedSubscription,
  type PaymentStatusChangedSubscriptionVariables,
  RecordOfflinePaymentDocument,
  RevokePartnerAccessDocument,
} from '@kometpay/schema/merchant';
import { AuditService, CursorSigner, PartnerApiKeyService, PartnerService, PaymentEventCursors } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { Shop } from '../support/shop.js';
import { type Recording, subscribe, wsUrl } from '../support/subscriptions.js';
import { report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';

const NEW_SECRET = 'reliability-cursor-secret-new-0123456789abcdef';
const OLD_SECRET = 'reliability-cursor-secret-old-0123456789abcdef';

type PaymentEvent = PaymentStatusChangedSubscription;

let t: TestApi;
let acme: Shop;
let bravo: Shop;
const open: Recording<unknown>[] = [];

beforeAll(async () => {
  // Mid-rotation: cursors are signed with the new secret, and those of the old one still accepted.
  t = await startTestApi({ CURSOR_SECRETS: `${NEW_SECRET},${OLD_SECRET}` });
  acme = await Shop.open(await t.createMerchant('Acme Cursors'), t.url);
  bravo = await Shop.open(await t.createMerchant('Bravo Cursors'), t.url);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((recording) => recording.dispose()));
});
afterAll(() => scanAndClose('partner cursors', t));

async function onboardPartner(name: string): Promise<{ id: string; authorization: string }> {
  const em = t.orm.em.fork();
  const partner = await new PartnerService(em, t.clock, new AuditService(em, { requestId: 'test-onboarding' })).create({ name });
  const { key } = await new PartnerApiKeyService(em, t.clock).issue(partner.id);
  return { id: partner.id, authorization: `Bearer ${key}` };
}

function follow(variables: PaymentStatusChangedSubscriptionVariables, authorization: string): Recording<PaymentEvent> {
  const recording = subscribe(wsUrl(t.url, '/graphql'), PaymentStatusChangedDocument, variables, authorization);
  open.push(recording as Recording<unknown>);
  return recording;
}

async function pay(shop: Shop): Promise<string> {
  const { id } = await shop.sentInvoice(10_000);
  const variables = { invoiceId: id, amount: '100', method: 'CHECK', idempotencyKey: randomUUID() } as const;
  return (await shop.client.request(RecordOfflinePaymentDocument, variables)).recordOfflinePayment.id;
}

/** A cursor at the end of the outbox now: "from now", with no race against the subscribe message. */
async function cursorNow(merchantId: string): Promise<string> {
  const [{ max }] = await t.orm.em.fork().execute<{ max: string | null }[]>('select max(position)::text as max from outbox_event');
  return t.api.deps.eventCursors.issue(merchantId, BigInt(max ?? 0));
}

const signedWith = (secret: string) => new PaymentEventCursors(new CursorSigner([secret]));

describe('cursors', () => {
  it('refuses every cursor the API did not issue for that merchant with INVALID_CURSOR, and accepts those of a secret being rotated out', async () => {
    const partner = await onboardPartner('Ledgerly forger');
    await acme.client.request(GrantPartnerAccessDocument, { partnerId: partner.id });
    const merchantKey = `Bearer ${acme.merchant.apiKey}`;

    // A real cursor, from an event the API delivered.
    const watching = follow({ merchantId: acme.merchant.id, after: await cursorNow(acme.merchant.id) }, partner.authorization);
    const paid = await pay(acme);
    const [delivered] = await watching.waitForResults(1);
    const real = delivered.paymentStatusChanged.cursor;
    expect(signedWith(NEW_SECRET).read(acme.merchant.id, real)).toBeGreaterThan(0n);
    expect(() => signedWith(OLD_SECRET).read(acme.merchant.id, real)).toThrow(/not one this API issued/);
    await watching.dispose();

    const tampered = `${real.slice(0, 3)}${real[3] === 'A' ? 'B' : 'A'}${real.slice(4)}`;
    const forgeries: Record<string, [string, Record<string, unknown>]> = {
      'the old base64 format (outbox:0)': [
        partner.authorization,
        { merchantId: acme.merchant.id, after: Buffer.from('outbox:0').toString('base64url') },
      ],
      'a real cursor with one character changed': [partner.authorization, { merchantId: acme.merchant.id, after: tampered }],
      "another merchant's cursor": [`Bearer ${bravo.merchant.apiKey}`, { after: real }],
      'signed with an unknown secret': [
        partner.authorization,
        { merchantId: acme.merchant.id, after: signedWith('someone-elses-secret-0123456789abcdef').issue(acme.merchant.id, 0n) },
      ],
      empty: [merchantKey, { after: '' }],
      '10 kB of text': [merchantKey, { after: 'A'.repeat(10_000) }],
    };
    const answers: Record<string, unknown> = {};
    for (const [name, [authorization, variables]] of Object.entries(forgeries)) {
      const stream = follow(variables, authorization);
      await stream.waitForEnd();
      answers[name] = stream.errors[0]?.extensions?.code;
      expect({ name, results: stream.results }).toEqual({ name, results: [] });
    }
    expect(Object.values(answers).every((code) => code === 'INVALID_CURSOR')).toBe(true);

    // A cursor signed with the secret being retired still resumes: from position 0, every event of the grant's period.
    const resumed = follow(
      { merchantId: acme.merchant.id, after: signedWith(OLD_SECRET).issue(acme.merchant.id, 0n) },
      partner.authorization,
    );
    const replayed = await resumed.waitForResults(1);
    expect(replayed.map((event) => event.paymentStatusChanged.transaction.id)).toContain(paid);
    report(
      'partner cursors',
      `${Object.keys(forgeries).length} cursors the API did not issue, all INVALID_CURSOR (${Object.keys(forgeries).join('; ')}); a cursor of the retiring secret resumes; new cursors signed with the new one`,
    );
  });
});

describe("a partner's replay", () => {
  it('delivers nothing from before the grant, nor from while access was revoked, whatever the cursor', async () => {
    const partner = await onboardPartner('Ledgerly periods');
    // A merchant of its own: its stream holds this test's events only.
    const carol = await Shop.open(await t.createMerchant('Carol Cursors'), t.url);
    const { client } = carol;
    const beforeGrant = await pay(carol);
    await client.request(GrantPartnerAccessDocument, { partnerId: partner.id });
    const firstPeriod = await pay(carol);
    await client.request(RevokePartnerAccessDocument, { partnerId: partner.id });
    const whileRevoked = await pay(carol);
    await client.request(GrantPartnerAccessDocument, { partnerId: partner.id });
    const secondPeriod = await pay(carol);

    // The oldest cursor there can be for this merchant (one the API issued: any merchant-key stream's first event could carry it).
    const fromTheStart = t.api.deps.eventCursors.issue(carol.merchant.id, 0n);
    const partnerReplay = follow({ merchantId: carol.merchant.id, after: fromTheStart }, partner.authorization);
    const merchantReplay = follow({ after: fromTheStart }, `Bearer ${carol.merchant.apiKey}`);
    const everything = (await merchantReplay.waitForResults(4)).map((event) => event.paymentStatusChanged.transaction.id);
    expect(everything).toEqual([beforeGrant, firstPeriod, whileRevoked, secondPeriod]);
    await partnerReplay.waitForResults(2);
    // Give a wrongly replayed event time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = partnerReplay.results.map((event) => event.paymentStatusChanged.transaction.id);
    expect(seen).toEqual([firstPeriod, secondPeriod]);
    expect(partnerReplay.errors).toEqual([]);

    // Live, it goes on within the open period, and a revoke ends it with FORBIDDEN.
    const live = await pay(carol);
    await partnerReplay.waitForResults(3);
    await client.request(RevokePartnerAccessDocument, { partnerId: partner.id });
    await partnerReplay.waitForEnd(2000);
    expect(partnerReplay.errors[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(partnerReplay.results.map((event) => event.paymentStatusChanged.transaction.id)).toEqual([firstPeriod, secondPeriod, live]);
    report(
      'partner replay bounded by grants',
      `replay from position 0 across grant, revoke and re-grant: the merchant's stream ${everything.length} events, the partner's 2 (the two granted periods'), none from before the grant or while revoked; live events within the period, then FORBIDDEN at the revoke`,
    );
  });
});
