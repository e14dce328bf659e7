import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PaymentStatusChangedDocument, type PaymentStatusChangedSubscription } from '@kometpay/schema/merchant';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { AdjustableClock, CursorSigner, createLogger, createOrm, type Orm, PaymentEventCursors } from '../../apps/api/src/app/test-kit.js';
import { repoRoot } from '../reliability/support/child-api.js';
import { onboardMerchant } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { Shop } from '../support/shop.js';

/** One supervised process of the cluster (scripts/cluster/cluster.mjs). */
export interface ClusterMember {
  name: string;
  port: number;
  ready: boolean;
  child: import('node:child_process').ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface Cluster {
  urls: { api: string; checkout: string; console: string };
  databaseUrl: string;
  dataDir: string;
  apis: ClusterMember[];
  checkouts: ClusterMember[];
  consoles: ClusterMember[];
  rollingRestart(members?: ClusterMember[]): Promise<void>;
  stop(): Promise<void>;
}

interface ClusterModule {
  startCluster(options: {
    databaseUrl?: string;
    dataDir?: string;
    apiInstances?: number;
    checkoutInstances?: number;
    env?: Record<string, string>;
    log?: (line: string) => void;
    onOutput?: (name: string, line: string) => void;
  }): Promise<Cluster>;
}

export interface ClusterRig {
  cluster: Cluster;
  db: TestDatabase;
  orm: Orm;
  /** What the cluster and its processes printed (for a failing test's message). */
  output: string[];
  /** A merchant onboarded on the cluster's database, and its shop reached through nginx. */
  shop(name: string): Promise<Shop>;
  /** A cursor of the merchant's stream at the end of the outbox now. */
  cursorNow(merchantId: string): Promise<string>;
  close(): Promise<void>;
}

/** The cluster (nginx, three API instances, two checkouts, the console) on a fresh test database. */
export async function startClusterRig(): Promise<ClusterRig> {
  const { startCluster } = (await import(path.join(repoRoot, 'scripts/cluster/cluster.mjs'))) as ClusterModule;
  const db = await createTestDatabase();
  const output: string[] = [];
  const dataDir = path.join(repoRoot, '.data/test', db.name, 'cluster');
  const cluster = await startCluster({
    databaseUrl: db.url,
    dataDir,
    log: (line) => output.push(line),
    onOutput: (name, line) => output.push(`[${name}] ${line}`),
  });
  const orm = await createOrm(db.url, 2, createLogger('error'));
  const clock = new AdjustableClock();
  const cursors = new PaymentEventCursors(new CursorSigner([readFileSync(path.join(dataDir, 'cursor-secret'), 'utf8').trim()]));
  return {
    cluster,
    db,
    orm,
    output,
    async shop(name) {
      const merchant = await onboardMerchant(orm, clock, cluster.urls.api, name);
      return Shop.open(merchant, cluster.urls.api, { name: 'Bloom & Stem', email: 'ap@bloom.example' });
    },
    async cursorNow(merchantId) {
      const [{ max }] = await orm.em.fork().execute<{ max: string }[]>('select coalesce(max(position), 0)::text as max from outbox_event');
      return cursors.issue(merchantId, BigInt(max));
    },
    async close() {
      await cluster.stop();
      await orm.close();
      await db.drop();
    },
  };
}

export type PaymentEvent = PaymentStatusChangedSubscription['paymentStatusChanged'];

/**
 * A subscriber as a partner or merchant integration would write one: it follows its stream, keeps
 * the cursor of the last event it received, and when the connection drops it subscribes again
 * from that cursor.
 */
export class ResumingSubscriber {
  readonly events: PaymentEvent[] = [];
  reconnects = 0;
  private client: Client | null = null;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly authorization: string,
    private cursor: string,
  ) {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const client = createClient({
      url: this.url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: this.authorization },
      retryAttempts: 0,
      lazy: true,
    });
    this.client = client;
    const again = () => {
      if (this.stopped || this.client !== client) return;
      this.reconnects++;
      void client.dispose();
      setTimeout(() => this.connect(), 200);
    };
    client.subscribe<PaymentStatusChangedSubscription>(
      { query: print(PaymentStatusChangedDocument), variables: { after: this.cursor } },
      {
        next: (result) => {
          if (!result.data) return;
          this.events.push(result.data.paymentStatusChanged);
          this.cursor = result.data.paymentStatusChanged.cursor;
        },
        error: again,
        complete: again,
      },
    );
  }

  /** Resolves once `done` holds for what was received (or fails after the timeout). */
  async until(done: (events: PaymentEvent[]) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events)) {
      if (Date.now() > deadline) throw new Error(`subscriber: only ${this.events.length} events after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.dispose();
  }
}
