import { type ChildApi, freePort, startChildApi } from '../reliability/support/child-api.js';
import type { TestApi, TestMerchant } from '../support/api.js';
import { TEST_CURSOR_SECRET } from '../support/production-env.js';
import { wsUrl } from '../support/subscriptions.js';
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

const onboardPartner = (name: string) => rig.onboardPartner(name);
const sentInvoice = (merchant: TestMerchant, unitAmount?: string) => rig.sentInvoice(merchant, unitAmount);
const pay = (merchant: TestMerchant, invoiceId: string, amount?: string, apiUrl?: string) => rig.pay(merchant, invoiceId, amount, apiUrl);
const grant = (merchant: TestMerchant, partnerId: string) => rig.grant(merchant, partnerId);
const cursorNow = (merchantId: string) => rig.cursorNow(merchantId);
const follow = (...args: Parameters<PartnerRig['follow']>) => rig.follow(...args);

describe('across API instances', () => {
  let second: ChildApi;
  let secondUrl: string;
  const secondLogs: string[] = [];

  beforeAll(async () => {
    second = await startChildApi(
      {
        DATABASE_URL: t.db.url,
        API_PORT: String(await freePort()),
        RUN_JOBS: 'false',
        LOG_LEVEL: 'warn',
        KOMETPAY_DATA_DIR: `.data/test/${t.db.name}-second`,
        CURSOR_SECRETS: TEST_CURSOR_SECRET,
      },
      secondLogs,
    );
    secondUrl = second.url;
  });
  afterAll(async () => {
    // Its shutdown is tested in tests/api/embedded-mode.test.ts; an unclean one here is reported, with what it logged.
    await second.stop();
    const ended = await second.exited;
    if (ended.code !== 0) console.warn(`the second API instance ended with ${JSON.stringify(ended)}:\n${secondLogs.join('\n')}`);
  });

  it('delivers a payment made through instance 1 to a subscriber on instance 2 in under a second', async () => {
    const partner = await onboardPartner('Ledgerly cluster');
    await grant(merchantA, partner.id);
    const invoice = await sentInvoice(merchantA);
    const onSecond = follow(
      wsUrl(secondUrl, '/graphql'),
      { merchantId: merchantA.id, after: await cursorNow(merchantA.id) },
      partner.authorization,
    );
    const onFirst = follow(
      wsUrl(t.url, '/graphql'),
      { merchantId: merchantA.id, after: await cursorNow(merchantA.id) },
      partner.authorization,
    );
    // Both subscriptions are up once a first event has reached them.
    await pay(merchantA, invoice.id);
    await Promise.all([onSecond.waitForResults(1), onFirst.waitForResults(1)]);

    const paying = performance.now();
    const paid = await pay(merchantA, invoice.id);
    const [, received] = await onSecond.waitForResults(2);
    expect(performance.now() - paying).toBeLessThan(1000);
    expect(received.paymentStatusChanged.transaction.id).toBe(paid);

    // And the other way round: a payment through instance 2 reaches a subscriber of instance 1.
    const back = await pay(merchantA, invoice.id, '100', secondUrl);
    expect(transactionIds(await onFirst.waitForResults(3))).toContain(back);
  });
});
