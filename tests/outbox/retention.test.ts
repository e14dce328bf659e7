import { randomUUID } from 'node:crypto';
import { GrantPartnerAccessDocument, PaymentStatusChangedDocument, RecordOfflinePaymentDocument } from '@kometpay/schema/merchant';
import { AuditService, PartnerApiKeyService, PartnerService } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { TEST_CURSOR_SECRET } from '../support/production-env.js';
import { openShop } from '../support/shop.js';
import { subscribe, wsUrl } from '../support/subscriptions.js';

const DAY_MS = 86_400_000;

describe('the daily retention job', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ CURSOR_SECRETS: TEST_CURSOR_SECRET, LOG_LEVEL: 'info' });
  });
  afterAll(() => t.close());

  const count = async (sql: string, params: unknown[] = []) =>
    (await t.orm.em.fork().execute<{ n: number }[]>(`select count(*)::int as n from ${sql}`, params))[0].n;
  const maxPosition = async () =>
    BigInt((await t.orm.em.fork().execute<{ max: string }[]>('select coalesce(max(position), 0)::text as max from outbox_event'))[0].max);

  it('prunes idempotency keys, processed webhook events and outbox events past their windows; older partner cursors answer CURSOR_EXPIRED', async () => {
    const shop = await openShop(t, 'Tidy Flowers');
    const em = t.orm.em.fork();
    const partner = await new PartnerService(em, t.clock, new AuditService(em, { requestId: 'test-onboarding' })).create({
      name: 'Ledgerly',
    });
    const { key } = await new PartnerApiKeyService(em, t.clock).issue(partner.id);
    await shop.client.request(GrantPartnerAccessDocument, { partnerId: partner.id });
    const cursorAt = (position: bigint) => t.api.deps.eventCursors.issue(shop.merchant.id, position);

    // Old traffic: a cursor, then two payments (outbox events, idempotency keys), and an old webhook event.
    const oldCursor = cursorAt(await maxPosition());
    const invoice = await shop.sentInvoice(10_000);
    for (const amount of ['1000', '2000']) {
      await shop.client.request(RecordOfflinePaymentDocument, {
        invoiceId: invoice.id,
        amount,
        method: 'CHECK',
        idempotencyKey: randomUUID(),
      });
    }
    const oldKeys = await count('idempotency_key');
    expect(oldKeys).toBeGreaterThanOrEqual(2);

    // 91 days on: the old events are past OUTBOX_RETENTION_DAYS (90), the keys past 24 hours.
    t.clock.advance(91 * DAY_MS);
    const midCursor = cursorAt(await maxPosition());
    const now = t.clock.now();
    await t.orm.em
      .fork()
      .execute('insert into processor_event (id, type, received_at) values (?, ?, ?), (?, ?, ?)', [
        `evt_old_${randomUUID()}`,
        'payment_intent.succeeded',
        new Date(now.getTime() - 31 * DAY_MS),
        `evt_new_${randomUUID()}`,
        'payment_intent.succeeded',
        now,
      ]);
    await shop.client.request(RecordOfflinePaymentDocument, {
      invoiceId: invoice.id,
      amount: '3000',
      method: 'CHECK',
      idempotencyKey: randomUUID(),
    });
    await t.jobsIdle();
    const outboxBefore = await count('outbox_event');

    await t.orm.em.fork().execute("select graphile_worker.add_job('prune-retention', '{}'::json)");
    await t.jobsIdle();

    const cutoff = new Date(t.clock.now().getTime() - 90 * DAY_MS);
    expect(await count('outbox_event where occurred_at < ?', [cutoff])).toBe(0);
    expect(await count('idempotency_key where created_at < ?', [new Date(t.clock.now().getTime() - 24 * 3_600_000)])).toBe(0);
    expect(await count('idempotency_key')).toBeGreaterThanOrEqual(1);
    expect(await count("processor_event where id like 'evt_old_%'")).toBe(0);
    expect(await count("processor_event where id like 'evt_new_%'")).toBe(1);
    const outboxAfter = await count('outbox_event');
    expect(outboxAfter).toBeGreaterThan(0);

    // The counts, in the log and in the metrics.
    const line = t.logs.map((entry) => JSON.parse(entry)).find((entry) => entry.msg === 'retention: old rows pruned');
    expect(line.pruned).toEqual({ idempotencyKeys: oldKeys, processorEvents: 1, outboxEvents: outboxBefore - outboxAfter });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/kometpay_retention_pruned_total\{table="outbox_event"\} [1-9]/);

    // A cursor from before the pruned events is refused, saying so; one at the edge resumes with nothing lost.
    const url = wsUrl(t.url, '/graphql');
    const stale = subscribe(url, PaymentStatusChangedDocument, { merchantId: shop.merchant.id, after: oldCursor }, `Bearer ${key}`);
    await stale.waitForEnd();
    expect(stale.errors[0]?.extensions?.code).toBe('CURSOR_EXPIRED');
    expect(stale.errors[0]?.message).toMatch(/OUTBOX_RETENTION_DAYS/);
    const resumed = subscribe(url, PaymentStatusChangedDocument, { merchantId: shop.merchant.id, after: midCursor }, `Bearer ${key}`);
    const [event] = await resumed.waitForResults(1);
    expect(event.paymentStatusChanged.transaction.amount.amount).toBe('3000');
    await resumed.dispose();
  });
});
