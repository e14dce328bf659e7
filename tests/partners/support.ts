import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  GrantPartnerAccessDocument,
  PaymentStatusChangedDocument,
  type PaymentStatusChangedSubscription,
  type PaymentStatusChangedSubscriptionVariables,
  RecordOfflinePaymentDocument,
  RevokePartnerAccessDocument,
} from '@kometpay/schema/merchant';
import { GraphQLClient } from 'graphql-request';
import { AuditService, PartnerApiKeyService, PartnerService } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { TEST_CURSOR_SECRET } from '../support/production-env.js';
import { type SentInvoice, Shop } from '../support/shop.js';
import { type Recording, subscribe } from '../support/subscriptions.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

export type PaymentEvent = PaymentStatusChangedSubscription;

export const transactionIds = (events: PaymentEvent[]) => events.map((event) => event.paymentStatusChanged.transaction.id);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An API for the partner tests (its own cursor secret, shared with a second instance where a test
 * starts one), with the calls they make: partners onboarded, access granted, invoices paid by
 * check, and subscriptions that `closeStreams()` ends after each test.
 */
export class PartnerRig {
  private readonly streams: Recording<unknown>[] = [];
  private readonly shops = new Map<string, Shop>();

  private constructor(readonly t: TestApi) {}

  static async start(): Promise<PartnerRig> {
    // A secret of their own for both instances (a second one has another data directory).
    return new PartnerRig(await startTestApi({ CURSOR_SECRETS: TEST_CURSOR_SECRET }));
  }

  /** The operator CLI (`npm run kometpay -- ... --json`) on this API's database; its JSON answer. */
  async kometpay(...args: string[]) {
    const { stdout } = await run(process.execPath, [path.join(root, 'apps/api/dist/app/cli/main.js'), ...args, '--json'], {
      env: { ...process.env, DATABASE_URL: this.t.db.url, LOG_LEVEL: 'error' },
    });
    return JSON.parse(stdout);
  }

  /** Onboarding through the services the CLI uses (the CLI itself costs a process per call). */
  async onboardPartner(name: string): Promise<{ id: string; key: string; authorization: string }> {
    const em = this.t.orm.em.fork();
    const partner = await new PartnerService(em, this.t.clock, new AuditService(em, { requestId: 'test-onboarding' })).create({ name });
    const { key } = await new PartnerApiKeyService(em, this.t.clock).issue(partner.id);
    return { id: partner.id, key, authorization: `Bearer ${key}` };
  }

  /** A sent invoice of the merchant's customer (one per merchant, made on first use). */
  async sentInvoice(merchant: TestMerchant, unitAmount = '100000'): Promise<SentInvoice> {
    let shop = this.shops.get(merchant.id);
    if (!shop) {
      shop = await Shop.open(merchant, this.t.url, { name: 'Bloom & Stem', email: `ap-${randomUUID()}@bloom.example` });
      this.shops.set(merchant.id, shop);
    }
    return shop.sentInvoice({ number: `INV-${randomUUID().slice(0, 8)}`, lines: [{ description: 'Roses', quantity: 1, unitAmount }] });
  }

  /** A check payment on the invoice (through another API instance if given); answers the transaction id. */
  async pay(merchant: TestMerchant, invoiceId: string, amount = '100', apiUrl?: string): Promise<string> {
    const client = apiUrl
      ? new GraphQLClient(`${apiUrl}/graphql`, { headers: { authorization: `Bearer ${merchant.apiKey}` } })
      : merchant.client();
    const variables = { invoiceId, amount, method: 'CHECK', idempotencyKey: randomUUID() } as const;
    return (await client.request(RecordOfflinePaymentDocument, variables)).recordOfflinePayment.id;
  }

  grant(merchant: TestMerchant, partnerId: string) {
    return merchant.client().request(GrantPartnerAccessDocument, { partnerId });
  }

  revoke(merchant: TestMerchant, partnerId: string) {
    return merchant.client().request(RevokePartnerAccessDocument, { partnerId });
  }

  /** A cursor of the merchant's stream at the end of the outbox now: subscribing after it is "from now", with no race against the subscribe message. */
  async cursorNow(merchantId: string): Promise<string> {
    const [{ max }] = await this.t.orm.em.fork().execute<{ max: string | null }[]>('select max(position)::text as max from outbox_event');
    return this.t.api.deps.eventCursors.issue(merchantId, BigInt(max ?? 0));
  }

  /** paymentStatusChanged over graphql-ws, ended by closeStreams(). */
  follow(url: string, variables: PaymentStatusChangedSubscriptionVariables, authorization: string): Recording<PaymentEvent> {
    return this.recorded(subscribe(url, PaymentStatusChangedDocument, variables, authorization));
  }

  /** Any subscription, ended by closeStreams(). */
  recorded<T>(recording: Recording<T>): Recording<T> {
    this.streams.push(recording as Recording<unknown>);
    return recording;
  }

  async closeStreams(): Promise<void> {
    await Promise.all(this.streams.splice(0).map((recording) => recording.dispose()));
  }
}
