/**
 * A local HTTP server that answers like Stripe's API for the calls the Stripe adapter makes. Every
 * object starts from Stripe's own example (fixtures/stripe-fixtures.json) and overrides only what the
 * request decides. Outcomes are keyed on Stripe's test payment-method ids (pm_card_visa,
 * pm_card_chargeDeclined, ...), plus two fault ids of ours that make the server fail or hang.
 * Like Stripe, a POST repeated with the same Idempotency-Key replays the stored answer, and the same
 * key with other parameters is an idempotency_error.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Stripe objects and decoded form parameters are untyped JSON here, as on the wire. */
export type Json = Record<string, any>;

const fixtures: Record<string, Json> = JSON.parse(
  readFileSync(new URL('./fixtures/stripe-fixtures.json', import.meta.url), 'utf8'),
).resources;

/** Stripe's example object for a resource, with the given top-level fields replaced. */
export function stripeFixture(resource: string, overrides: Json = {}): Json {
  return { ...structuredClone(fixtures[resource]), ...overrides };
}

interface TestPaymentMethod {
  type: 'card' | 'us_bank_account';
  card?: { brand: string; last4: string; funding: string };
  bank?: { bank_name: string; last4: string };
  decline?: { code: string; decline_code: string; message: string };
  requiresAction?: boolean;
}

const visa = (last4: string, funding = 'credit') => ({ brand: 'visa', last4, funding });

/** Stripe's test payment methods and what Stripe does with each when a payment is confirmed. */
const TEST_PAYMENT_METHODS: Record<string, TestPaymentMethod> = {
  pm_card_visa: { type: 'card', card: visa('4242') },
  pm_card_visa_debit: { type: 'card', card: visa('5556', 'debit') },
  pm_card_chargeDeclined: {
    type: 'card',
    card: visa('0002'),
    decline: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    type: 'card',
    card: visa('9995'),
    decline: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
  pm_card_chargeDeclinedExpiredCard: {
    type: 'card',
    card: visa('0069'),
    decline: { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' },
  },
  pm_card_chargeDeclinedIncorrectCvc: {
    type: 'card',
    card: visa('0127'),
    decline: { code: 'incorrect_cvc', decline_code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  },
  pm_card_authenticationRequired: { type: 'card', card: visa('3184'), requiresAction: true },
  pm_usBankAccount_success: { type: 'us_bank_account', bank: { bank_name: 'STRIPE TEST BANK', last4: '6789' } },
};

interface Reply {
  status: number;
  /** Serialised when produced, so that a replay is byte-identical even if the object changes later. */
  body: string;
}

/** Payment-method ids that make the server misbehave on any route. */
const FAULTS: Record<string, Reply | 'hang'> = {
  pm_stripe_unavailable: {
    status: 500,
    body: JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred.' } }),
  },
  pm_stripe_hangs: 'hang',
};

/** A registration code that registers a reader which then stays offline. */
export const OFFLINE_READER_REGISTRATION_CODE = 'simulated-offline';

class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: Json,
  ) {
    super(error.message);
  }
}

function missing(kind: string, id: string, param: string): StripeFailure {
  return new StripeFailure(param === 'id' ? 404 : 400, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param,
    message: `No such ${kind}: '${id}'`,
  });
}

function invalid(message: string, fields: Json = {}): StripeFailure {
  return new StripeFailure(400, { type: 'invalid_request_error', message, ...fields });
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** `a[b][0]=x` -> { a: { b: ['x'] } }: Stripe's form encoding, as the SDK writes it. */
function decodeForm(encoded: string): Json {
  const root: Json = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const path = key.split('[').map((segment) => segment.replace(/\]$/, ''));
    let node = root;
    path.forEach((segment, index) => {
      if (index === path.length - 1) {
        node[segment] = value;
        return;
      }
      node[segment] ??= /^\d+$/.test(path[index + 1]) ? [] : {};
      node = node[segment];
    });
  }
  return root;
}

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  headers: IncomingHttpHeaders;
  params: Json;
}

type Handler = (params: Json, id: string) => Json;

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handle: Handler;
}

export class StripeMock {
  readonly requests: RecordedRequest[] = [];
  /** POSTs are answered this long after Stripe acted on them: a reply slower than the client's timeout. */
  lateReplyMs = 0;
  private readonly objects = new Map<string, Json>();
  /** Balance transaction id -> the payout that carried it. */
  private readonly paidOut = new Map<string, string>();
  private readonly idempotentReplies = new Map<string, { fingerprint: string; reply: Reply }>();
  private readonly server = createServer((request, response) => void this.handle(request, response));

  private readonly routes: Route[] = [
    { method: 'GET', path: /^\/v1\/payment_methods\/([^/]+)$/, handle: (_, id) => this.paymentMethod(id, 'id') },
    { method: 'POST', path: /^\/v1\/payment_methods\/([^/]+)\/detach$/, handle: (_, id) => this.detach(id) },
    { method: 'POST', path: /^\/v1\/payment_intents$/, handle: (params) => this.createPaymentIntent(params) },
    { method: 'GET', path: /^\/v1\/payment_intents\/([^/]+)$/, handle: (_, id) => this.existing(id, 'payment_intent') },
    { method: 'POST', path: /^\/v1\/refunds$/, handle: (params) => this.createRefund(params) },
    { method: 'GET', path: /^\/v1\/refunds\/([^/]+)$/, handle: (_, id) => this.existing(id, 'refund') },
    { method: 'POST', path: /^\/v1\/customers$/, handle: (params) => this.createCustomer(params) },
    { method: 'GET', path: /^\/v1\/payouts$/, handle: (params) => this.listPayouts(params) },
    { method: 'GET', path: /^\/v1\/payouts\/([^/]+)$/, handle: (_, id) => this.existing(id, 'payout') },
    { method: 'GET', path: /^\/v1\/balance_transactions$/, handle: (params) => this.listBalanceTransactions(params) },
    { method: 'POST', path: /^\/v1\/setup_intents$/, handle: (params) => this.createSetupIntent(params) },
    { method: 'POST', path: /^\/v1\/terminal\/readers$/, handle: (params) => this.createReader(params) },
    {
      method: 'POST',
      path: /^\/v1\/terminal\/readers\/([^/]+)\/process_payment_intent$/,
      handle: (params, id) => this.processPaymentIntent(id, params),
    },
  ];

  static async start(): Promise<StripeMock> {
    const mock = new StripeMock();
    await new Promise<void>((resolve) => mock.server.listen(0, '127.0.0.1', resolve));
    return mock;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The object as Stripe holds it now (ids, not expanded). */
  object(id: string): Json {
    return structuredClone(this.objects.get(id)!);
  }

  /** Every object of one kind Stripe holds now ('payment_intent', 'charge', 'refund', ...). */
  objectsOf(kind: string): Json[] {
    return [...this.objects.values()].filter((object) => object.object === kind).map((object) => structuredClone(object));
  }

  /** Changes made on Stripe's side after the fact: an ACH debit settling or being returned, ... */
  update(id: string, changes: Json): void {
    Object.assign(this.objects.get(id)!, changes);
  }

  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url!, 'http://stripe.local');
    const body = await readBody(request);
    const method = request.method!;
    const params = decodeForm(method === 'GET' ? url.search.slice(1) : body);
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    this.requests.push({ method, path: url.pathname, idempotencyKey, headers: request.headers, params });

    const fault = FAULTS[params.payment_method];
    if (fault === 'hang') return; // never answered; close() drops the socket

    const late = method === 'POST' ? this.lateReplyMs : 0;
    const fingerprint = `${method} ${url.pathname} ${body}`;
    const stored = idempotencyKey ? this.idempotentReplies.get(idempotencyKey) : undefined;
    if (stored) {
      const reply =
        stored.fingerprint === fingerprint
          ? stored.reply
          : errorReply(
              new StripeFailure(400, {
                type: 'idempotency_error',
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
              }),
            );
      if (late) await delay(late);
      send(response, reply, { 'idempotent-replayed': 'true', 'original-request': 'req_replayed' });
      return;
    }

    const reply = fault ?? this.route(method, url.pathname, params);
    if (idempotencyKey && method === 'POST') this.idempotentReplies.set(idempotencyKey, { fingerprint, reply });
    if (late) await delay(late);
    send(response, reply, {});
  }

  private route(method: string, path: string, params: Json): Reply {
    for (const route of this.routes) {
      const match = route.method === method ? route.path.exec(path) : null;
      if (!match) continue;
      try {
        return { status: 200, body: JSON.stringify(this.expand(route.handle(params, match[1]), params.expand ?? [])) };
      } catch (error) {
        if (error instanceof StripeFailure) return errorReply(error);
        throw error;
      }
    }
    return errorReply(invalid(`Unrecognized request URL (${method}: ${path}).`));
  }

  /** Replaces ids by the objects they name along each `a.b.c` path, like Stripe's `expand[]`. */
  private expand(object: Json, paths: string[]): Json {
    if (object.object === 'list') {
      const itemPaths = paths.filter((path) => path.startsWith('data.')).map((path) => path.slice('data.'.length));
      return { ...object, data: object.data.map((item: Json) => this.expand(item, itemPaths)) };
    }
    const result = structuredClone(object);
    for (const path of paths) {
      let node: Json | undefined = result;
      for (const field of path.split('.')) {
        if (typeof node?.[field] === 'string' && this.objects.has(node[field])) node[field] = this.object(node[field]);
        node = node?.[field];
      }
    }
    return result;
  }

  private store(object: Json): Json {
    this.objects.set(object.id, object);
    return object;
  }

  private existing(id: string, kind: string, param = 'id'): Json {
    const object = this.objects.get(id);
    if (object?.object !== kind) throw missing(kind, id, param);
    return object;
  }

  // --- payment methods ---

  private paymentMethod(id: string, param: string): Json {
    const known = this.objects.get(id);
    if (known) return known;
    const test = TEST_PAYMENT_METHODS[id];
    if (!test) throw missing('PaymentMethod', id, param);
    const fixture = fixtures.payment_method;
    return this.store(
      stripeFixture('payment_method', {
        id,
        type: test.type,
        created: now(),
        customer: null,
        metadata: {},
        card: test.card && { ...fixture.card, ...test.card, display_brand: test.card.brand },
        us_bank_account: test.bank && {
          account_holder_type: 'individual',
          account_type: 'checking',
          financial_connections_account: null,
          fingerprint: 'FFDMA0xfhBjWSZLu',
          networks: { preferred: 'ach', supported: ['ach'] },
          routing_number: '110000000',
          status_details: null,
          ...test.bank,
        },
      }),
    );
  }

  private detach(id: string): Json {
    const method = this.paymentMethod(id, 'id');
    if (!method.customer) {
      throw invalid('The payment method you provided is not attached to a customer so detachment is impossible.');
    }
    method.customer = null;
    return method;
  }

  // --- payments ---

  private createPaymentIntent(params: Json): Json {
    const method = params.payment_method ? this.paymentMethod(params.payment_method, 'payment_method') : null;
    const confirm = params.confirm === 'true';
    if (confirm && method?.type === 'us_bank_account' && !params.mandate_data) {
      throw invalid('A mandate is required to confirm a us_bank_account PaymentIntent.', { param: 'mandate_data' });
    }
    const intent = this.store(
      stripeFixture('payment_intent', {
        id: newId('pi'),
        amount: Number(params.amount),
        amount_received: 0,
        automatic_payment_methods: params.automatic_payment_methods
          ? { enabled: true, allow_redirects: params.automatic_payment_methods.allow_redirects }
          : null,
        canceled_at: null,
        capture_method: params.capture_method ?? 'automatic',
        created: now(),
        currency: params.currency,
        customer: params.customer ?? null,
        description: params.description ?? null,
        last_payment_error: null,
        latest_charge: null,
        metadata: params.metadata ?? {},
        next_action: null,
        payment_method: method?.id ?? null,
        payment_method_types: params.allowed_payment_method_types ?? [method?.type ?? 'card'],
        processing: null,
        status: 'requires_payment_method',
        transfer_data: null,
      }),
    );
    intent.client_secret = `${intent.id}_secret_${randomBytes(12).toString('hex')}`;
    return confirm && method ? this.confirm(intent, method) : intent;
  }

  private confirm(intent: Json, method: Json): Json {
    const test = TEST_PAYMENT_METHODS[method.id];
    if (test.requiresAction) {
      return Object.assign(intent, { status: 'requires_action', next_action: { type: 'use_stripe_sdk', use_stripe_sdk: {} } });
    }
    const charge = this.createCharge(intent, method, test);
    if (test.decline) {
      Object.assign(intent, {
        status: 'requires_payment_method',
        payment_method: null,
        latest_charge: charge.id,
        last_payment_error: { type: 'card_error', ...test.decline, charge: charge.id, payment_method: structuredClone(method) },
      });
      throw new StripeFailure(402, { ...intent.last_payment_error, payment_intent: structuredClone(intent) });
    }
    const succeeded = charge.status === 'succeeded';
    return Object.assign(intent, {
      status: succeeded ? 'succeeded' : 'processing',
      amount_received: succeeded ? intent.amount : 0,
      latest_charge: charge.id,
    });
  }

  private createCharge(intent: Json, method: Json, test: TestPaymentMethod): Json {
    const status = test.decline ? 'failed' : method.type === 'us_bank_account' ? 'pending' : 'succeeded';
    const id = newId('ch');
    const fee = Math.round(intent.amount * 0.029) + 30;
    const transaction =
      status === 'succeeded'
        ? this.store(
            stripeFixture('balance_transaction', {
              id: newId('txn'),
              amount: intent.amount,
              created: now(),
              currency: intent.currency,
              description: intent.description,
              fee,
              fee_details: [{ amount: fee, application: null, currency: intent.currency, description: 'Stripe processing fees', type: 'stripe_fee' }],
              net: intent.amount - fee,
              source: id,
            }),
          )
        : null;
    const fixture = fixtures.charge;
    return this.store(
      stripeFixture('charge', {
        id,
        amount: intent.amount,
        amount_captured: status === 'succeeded' ? intent.amount : 0,
        balance_transaction: transaction?.id ?? null,
        captured: status === 'succeeded',
        created: now(),
        currency: intent.currency,
        customer: intent.customer,
        description: intent.description,
        failure_code: test.decline?.code ?? null,
        failure_message: test.decline?.message ?? null,
        metadata: intent.metadata,
        outcome: {
          ...fixture.outcome,
          network_status: test.decline ? 'declined_by_network' : 'approved_by_network',
          reason: test.decline?.decline_code ?? null,
          type: test.decline ? 'issuer_declined' : 'authorized',
        },
        paid: status === 'succeeded',
        payment_intent: intent.id,
        payment_method: method.id,
        payment_method_details: method.card
          ? {
              type: 'card',
              card: {
                ...fixture.payment_method_details.card,
                brand: method.card.brand,
                last4: method.card.last4,
                funding: method.card.funding,
                exp_month: method.card.exp_month,
                exp_year: method.card.exp_year,
                authorization_code: status === 'succeeded' ? String(randomInt(100_000, 1_000_000)) : null,
              },
            }
          : { type: 'us_bank_account', us_bank_account: { ...method.us_bank_account, mandate: null, payment_reference: null } },
        refunds: { ...fixture.refunds, url: `/v1/charges/${id}/refunds` },
        source: null,
        status,
        transfer_data: null,
      }),
    );
  }

  // --- refunds ---

  private createRefund(params: Json): Json {
    const intent = this.existing(params.payment_intent, 'payment_intent', 'payment_intent');
    if (intent.status !== 'succeeded') {
      throw invalid(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, { param: 'payment_intent' });
    }
    const charge = this.objects.get(intent.latest_charge)!;
    const refundable = charge.amount - charge.amount_refunded;
    if (refundable === 0) throw invalid(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
    const amount = params.amount ? Number(params.amount) : refundable;
    if (amount > refundable) {
      throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${refundable})`, { param: 'amount' });
    }
    Object.assign(charge, { amount_refunded: charge.amount_refunded + amount, refunded: amount === refundable });
    const bankDebit = charge.payment_method_details.type === 'us_bank_account';
    const refundId = newId('re');
    const transaction = bankDebit
      ? null
      : this.store(
          stripeFixture('balance_transaction', {
            id: newId('txn'),
            amount: -amount,
            created: now(),
            currency: charge.currency,
            description: null,
            fee: 0,
            fee_details: [],
            net: -amount,
            reporting_category: 'refund',
            source: refundId,
            type: 'refund',
          }),
        );
    return this.store(
      stripeFixture('refund', {
        id: refundId,
        balance_transaction: transaction?.id ?? null,
        amount,
        charge: charge.id,
        created: now(),
        currency: charge.currency,
        destination_details: bankDebit
          ? { type: 'us_bank_transfer', us_bank_transfer: { reference: null, reference_status: 'pending' } }
          : fixtures.refund.destination_details,
        metadata: params.metadata ?? {},
        payment_intent: intent.id,
        payment_method: charge.payment_method,
        status: bankDebit ? 'pending' : 'succeeded',
      }),
    );
  }

  // --- payouts (the fixtures hold no payout: its fields follow Stripe's API reference) ---

  /**
   * Stripe's automatic payout, as a test helper: every balance transaction not yet paid out goes into
   * one payout (with the payout's own line), which arrives at `arrivalDate`.
   */
  payOut(options: { arrivalDate?: Date; status?: 'paid' | 'in_transit' } = {}): Json {
    const id = newId('po');
    const entries = [...this.objects.values()].filter((object) => object.object === 'balance_transaction' && object.type !== 'payout' && !this.paidOut.has(object.id));
    const net = entries.reduce((sum, entry) => sum + entry.net, 0);
    const currency = entries[0]?.currency ?? 'usd';
    const arrival = Math.floor((options.arrivalDate?.getTime() ?? Date.now()) / 1000);
    for (const entry of entries) this.paidOut.set(entry.id, id);
    const own = this.store(
      stripeFixture('balance_transaction', {
        id: newId('txn'),
        amount: -net,
        available_on: arrival,
        created: now(),
        currency,
        description: 'STRIPE PAYOUT',
        fee: 0,
        fee_details: [],
        net: -net,
        reporting_category: 'payout',
        source: id,
        status: 'available',
        type: 'payout',
      }),
    );
    this.paidOut.set(own.id, id);
    return this.store({
      id,
      object: 'payout',
      amount: net,
      arrival_date: arrival,
      automatic: true,
      balance_transaction: own.id,
      created: now(),
      currency,
      description: 'STRIPE PAYOUT',
      destination: 'ba_1PgafuB7WZ01zgkWfQv1Cl9E',
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: {},
      method: 'standard',
      reconciliation_status: 'completed',
      source_type: 'card',
      statement_descriptor: null,
      status: options.status ?? 'paid',
      type: 'bank_account',
    });
  }

  /**
   * The bank sends a payout back. As at Stripe, its balance transactions stay with it; one
   * `payout_failure` transaction puts the money back on the balance, for the next payout.
   */
  failPayout(id: string): Json {
    const payout = this.existing(id, 'payout');
    const failure = this.store(
      stripeFixture('balance_transaction', {
        id: newId('txn'),
        amount: payout.amount,
        created: now(),
        currency: payout.currency,
        description: 'STRIPE PAYOUT FAILURE',
        fee: 0,
        fee_details: [],
        net: payout.amount,
        reporting_category: 'payout_reversal',
        source: payout.id,
        status: 'available',
        type: 'payout_failure',
      }),
    );
    return Object.assign(payout, { status: 'failed', failure_code: 'account_closed', failure_balance_transaction: failure.id });
  }

  private listPayouts(params: Json): Json {
    const since = Number(params.created?.gte ?? 0);
    const payouts = this.objectsOf('payout').filter((payout) => payout.created >= since).sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
    return this.page('/v1/payouts', payouts, params);
  }

  private listBalanceTransactions(params: Json): Json {
    if (params.payout) this.existing(params.payout, 'payout', 'payout');
    const transactions = this.objectsOf('balance_transaction').filter((entry) => !params.payout || this.paidOut.get(entry.id) === params.payout);
    return this.page('/v1/balance_transactions', transactions, params);
  }

  /** A list page, cursor-paginated by `starting_after` and `limit` as Stripe's are. */
  private page(url: string, items: Json[], params: Json): Json {
    const limit = Number(params.limit ?? 10);
    const start = params.starting_after ? items.findIndex((item) => item.id === params.starting_after) + 1 : 0;
    const data = items.slice(start, start + limit);
    return { object: 'list', data, has_more: start + limit < items.length, url };
  }

  // --- vault ---

  private createCustomer(params: Json): Json {
    return this.store(
      stripeFixture('customer', {
        id: newId('cus'),
        created: now(),
        discount: null,
        email: params.email ?? null,
        metadata: params.metadata ?? {},
        name: params.name ?? null,
      }),
    );
  }

  private createSetupIntent(params: Json): Json {
    const customer = this.existing(params.customer, 'customer', 'customer');
    const method = this.paymentMethod(params.payment_method, 'payment_method');
    const test = TEST_PAYMENT_METHODS[method.id];
    const setup = this.store(
      stripeFixture('setup_intent', {
        id: newId('seti'),
        automatic_payment_methods: params.automatic_payment_methods
          ? { enabled: true, allow_redirects: params.automatic_payment_methods.allow_redirects }
          : null,
        created: now(),
        customer: customer.id,
        last_setup_error: null,
        metadata: params.metadata ?? {},
        next_action: null,
        payment_method: method.id,
        payment_method_types: [method.type],
        status: 'succeeded',
        usage: params.usage ?? 'off_session',
      }),
    );
    setup.client_secret = `${setup.id}_secret_${randomBytes(12).toString('hex')}`;
    if (test.decline) {
      Object.assign(setup, {
        status: 'requires_payment_method',
        payment_method: null,
        last_setup_error: { type: 'card_error', ...test.decline, payment_method: structuredClone(method) },
      });
      throw new StripeFailure(402, { ...setup.last_setup_error, setup_intent: structuredClone(setup) });
    }
    if (test.requiresAction) {
      return Object.assign(setup, { status: 'requires_action', next_action: { type: 'use_stripe_sdk', use_stripe_sdk: {} } });
    }
    method.customer = customer.id;
    return setup;
  }

  // --- terminal ---

  private createReader(params: Json): Json {
    return this.store(
      stripeFixture('terminal.reader', {
        id: newId('tmr'),
        action: null,
        label: params.label ?? fixtures['terminal.reader'].label,
        location: params.location ?? null,
        metadata: params.metadata ?? {},
        status: params.registration_code === OFFLINE_READER_REGISTRATION_CODE ? 'offline' : 'online',
      }),
    );
  }

  private processPaymentIntent(readerId: string, params: Json): Json {
    const reader = this.existing(readerId, 'terminal.reader');
    if (reader.status === 'offline') {
      throw invalid('Reader is currently offline, please ensure the reader is powered on and connected to the internet before retrying your request.', {
        code: 'terminal_reader_offline',
      });
    }
    const intent = this.existing(params.payment_intent, 'payment_intent', 'payment_intent');
    reader.action = {
      type: 'process_payment_intent',
      status: 'in_progress',
      process_payment_intent: { payment_intent: intent.id },
      failure_code: null,
      failure_message: null,
      api_error: null,
    };
    return reader;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorReply(failure: StripeFailure): Reply {
  return {
    status: failure.status,
    body: JSON.stringify({
      error: { ...failure.error, request_log_url: `https://dashboard.stripe.com/test/logs/req_${randomBytes(7).toString('hex')}` },
    }),
  };
}

function send(response: ServerResponse, reply: Reply, headers: Record<string, string>): void {
  response.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': newId('req'), ...headers });
  response.end(reply.body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
