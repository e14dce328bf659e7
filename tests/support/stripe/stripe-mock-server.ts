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
  /** A bank account Stripe cannot verify instantly: confirming waits for micro-deposits of this type. */
  microdeposits?: 'amounts' | 'descriptor_code';
  /** Succeeds, then the cardholder disputes it (pm_card_createDispute). */
  disputed?: boolean;
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
  pm_card_createDispute: { type: 'card', card: visa('0259'), disputed: true },
  pm_usBankAccount_success: { type: 'us_bank_account', bank: { bank_name: 'STRIPE TEST BANK', last4: '6789' } },
  // Ours (Stripe has no such id: it sends micro-deposits to accounts entered by hand without instant verification).
  pm_usBankAccount_microdeposits: {
    type: 'us_bank_account',
    bank: { bank_name: 'STRIPE TEST BANK', last4: '6789' },
    microdeposits: 'descriptor_code',
  },
};

/** Stripe's test answers to micro-deposits: right, and those that use up every attempt; and the attempts allowed. */
const MICRODEPOSITS = { amounts: '32,45', descriptorCode: 'SM11AA', exceedAmounts: '10,11', exceedDescriptorCode: 'SM33CC', attempts: 10 };

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

/** Every running mock, so that a test can ask which connected account holds an object (ownerOf). */
const running = new Set<StripeMock>();

/**
 * The connected account that holds a Stripe object (null: the platform's own), in whichever running
 * mock made it: a Connect event names it as `account`.
 */
export function ownerOf(id: string): string | null {
  for (const mock of running) if (mock.holds(id)) return mock.accountHolding(id);
  return null;
}

export class StripeMock {
  readonly requests: RecordedRequest[] = [];
  /** POSTs are answered this long after Stripe acted on them: a reply slower than the client's timeout. */
  lateReplyMs = 0;
  private readonly objects = new Map<string, Json>();
  /**
   * Object id -> the connected account it lives in (null: the platform). As at Stripe, a request
   * made for one account (`Stripe-Account`) finds only that account's objects; payment methods
   * (Stripe's shared test ones) are found from every account.
   */
  private readonly owners = new Map<string, string | null>();
  /** The account the request being handled is made for (its Stripe-Account header). */
  private account: string | null = null;
  /** Connected accounts whose merchant disconnected them from the platform: the platform may no longer act for them. */
  private readonly deauthorized = new Set<string>();
  /** Balance transaction id -> the payout that carried it. */
  private readonly paidOut = new Map<string, string>();
  private readonly idempotentReplies = new Map<string, { fingerprint: string; reply: Reply }>();
  private readonly server = createServer((request, response) => void this.handle(request, response));

  private readonly routes: Route[] = [
    { method: 'GET', path: /^\/v1\/payment_methods\/([^/]+)$/, handle: (_, id) => this.paymentMethod(id, 'id') },
    { method: 'POST', path: /^\/v1\/payment_methods\/([^/]+)\/detach$/, handle: (_, id) => this.detach(id) },
    { method: 'POST', path: /^\/v1\/payment_intents$/, handle: (params) => this.createPaymentIntent(params) },
    { method: 'GET', path: /^\/v1\/payment_intents\/([^/]+)$/, handle: (_, id) => this.existing(id, 'payment_intent') },
    { method: 'POST', path: /^\/v1\/payment_intents\/([^/]+)\/cancel$/, handle: (params, id) => this.cancelPaymentIntent(id, params) },
    {
      method: 'POST',
      path: /^\/v1\/payment_intents\/([^/]+)\/verify_microdeposits$/,
      handle: (params, id) => this.verifyMicrodeposits(id, params),
    },
    { method: 'POST', path: /^\/v1\/refunds$/, handle: (params) => this.createRefund(params) },
    { method: 'GET', path: /^\/v1\/refunds\/([^/]+)$/, handle: (_, id) => this.existing(id, 'refund') },
    { method: 'POST', path: /^\/v1\/customers$/, handle: (params) => this.createCustomer(params) },
    { method: 'GET', path: /^\/v1\/disputes\/([^/]+)$/, handle: (_, id) => this.existing(id, 'dispute') },
    { method: 'POST', path: /^\/v1\/disputes\/([^/]+)$/, handle: (params, id) => this.updateDispute(id, params) },
    { method: 'GET', path: /^\/v1\/payouts$/, handle: (params) => this.listPayouts(params) },
    { method: 'GET', path: /^\/v1\/payouts\/([^/]+)$/, handle: (_, id) => this.existing(id, 'payout') },
    { method: 'GET', path: /^\/v1\/balance_transactions$/, handle: (params) => this.listBalanceTransactions(params) },
    { method: 'POST', path: /^\/v1\/setup_intents$/, handle: (params) => this.createSetupIntent(params) },
    { method: 'POST', path: /^\/v1\/terminal\/readers$/, handle: (params) => this.createReader(params) },
    { method: 'POST', path: /^\/v1\/accounts$/, handle: (params) => this.createAccount(params) },
    { method: 'GET', path: /^\/v1\/accounts\/([^/]+)$/, handle: (_, id) => this.platformOnly(() => this.existing(id, 'account')) },
    { method: 'POST', path: /^\/v1\/account_links$/, handle: (params) => this.createAccountLink(params) },
    // The mock's own test helper (not Stripe's API): the merchant finished Stripe's hosted onboarding.
    { method: 'POST', path: /^\/kometpay_test\/accounts\/([^/]+)\/complete_onboarding$/, handle: (_, id) => this.completeOnboarding(id) },
    {
      method: 'POST',
      path: /^\/v1\/terminal\/readers\/([^/]+)\/process_payment_intent$/,
      handle: (params, id) => this.processPaymentIntent(id, params),
    },
  ];

  static async start(): Promise<StripeMock> {
    const mock = new StripeMock();
    await new Promise<void>((resolve) => mock.server.listen(0, '127.0.0.1', resolve));
    running.add(mock);
    return mock;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    running.delete(this);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The object as Stripe holds it now (ids, not expanded). */
  object(id: string): Json {
    return structuredClone(this.objects.get(id)!);
  }

  holds(id: string): boolean {
    return this.objects.has(id);
  }

  accountHolding(id: string): string | null {
    return this.owners.get(id) ?? null;
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
    const account = (request.headers['stripe-account'] as string | undefined) ?? null;
    // Stripe keeps idempotency keys per account.
    const scopedKey = idempotencyKey && `${account ?? 'platform'}:${idempotencyKey}`;

    const fault = FAULTS[params.payment_method];
    if (fault === 'hang') return; // never answered; close() drops the socket

    const late = method === 'POST' ? this.lateReplyMs : 0;
    const fingerprint = `${method} ${url.pathname} ${body}`;
    const stored = scopedKey ? this.idempotentReplies.get(scopedKey) : undefined;
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

    const accountRequested = /^\/v1\/accounts\/([^/]+)$/.exec(url.pathname)?.[1];
    const lostAccess = [account, accountRequested].find((id) => id && this.deauthorized.has(id));
    const reply = lostAccess
      ? errorReply(
          new StripeFailure(403, {
            type: 'invalid_request_error',
            code: 'account_invalid',
            message: `The provided key 'sk_test_****' does not have access to account '${lostAccess}' (or that account does not exist). Application access may have been revoked.`,
          }),
        )
      : (fault ?? this.as(account, () => this.route(method, url.pathname, params)));
    if (scopedKey && method === 'POST') this.idempotentReplies.set(scopedKey, { fingerprint, reply });
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

  /** Runs `work` as a request made for `account` (the test helpers act in one account too). */
  private as<T>(account: string | null, work: () => T): T {
    const before = this.account;
    this.account = account;
    try {
      return work();
    } finally {
      this.account = before;
    }
  }

  private store(object: Json): Json {
    if (!this.objects.has(object.id)) this.owners.set(object.id, this.account);
    this.objects.set(object.id, object);
    return object;
  }

  /** The object, if it lives in the account the request is made for: another account's is no such object. */
  private existing(id: string, kind: string, param = 'id'): Json {
    const object = this.objects.get(id);
    if (object?.object !== kind || (this.owners.get(id) ?? null) !== this.account) throw missing(kind, id, param);
    return object;
  }

  private platformOnly<T>(work: () => T): T {
    if (this.account) throw new StripeFailure(403, { type: 'invalid_request_error', message: 'Only a platform can do this.' });
    return work();
  }

  // --- Connect: connected accounts and their onboarding ---

  private createAccount(params: Json): Json {
    return this.platformOnly(() =>
      this.store({
        id: `acct_${randomBytes(8).toString('hex')}`,
        object: 'account',
        type: params.type ?? 'standard',
        business_profile: { name: params.business_profile?.name ?? null, url: null },
        capabilities: {},
        charges_enabled: false,
        payouts_enabled: false,
        details_submitted: false,
        country: 'US',
        created: now(),
        default_currency: 'usd',
        email: null,
        metadata: params.metadata ?? {},
        requirements: {
          currently_due: ['business_profile.url', 'external_account', 'tos_acceptance.date'],
          eventually_due: ['business_profile.url', 'external_account', 'tos_acceptance.date'],
          past_due: [],
          disabled_reason: 'requirements.past_due',
          current_deadline: null,
          errors: [],
          pending_verification: [],
        },
      }),
    );
  }

  private createAccountLink(params: Json): Json {
    return this.platformOnly(() => {
      const account = this.existing(params.account, 'account', 'account');
      if (!params.return_url || !params.refresh_url) throw invalid('Missing required param: return_url.', { param: 'return_url' });
      return {
        object: 'account_link',
        created: now(),
        expires_at: now() + 300,
        url: `https://connect.stripe.com/setup/s/${account.id}/${randomBytes(12).toString('hex')}`,
      };
    });
  }

  /** The merchant completed Stripe's hosted onboarding: the account takes charges and pays out. */
  completeOnboarding(id: string): Json {
    const account = this.as(null, () => this.existing(id, 'account'));
    return Object.assign(account, {
      charges_enabled: true,
      payouts_enabled: true,
      details_submitted: true,
      requirements: { ...account.requirements, currently_due: [], eventually_due: [], past_due: [], disabled_reason: null },
    });
  }

  /** The merchant disconnects its Standard account from the platform in its own Dashboard. */
  deauthorize(id: string): void {
    this.deauthorized.add(id);
  }

  /** Stripe asks for more (a document, a bank account that bounced): charges pause until the merchant answers. */
  restrict(id: string, due: string[]): Json {
    const account = this.as(null, () => this.existing(id, 'account'));
    return Object.assign(account, {
      charges_enabled: false,
      requirements: { ...account.requirements, currently_due: due, past_due: due, disabled_reason: 'requirements.past_due' },
    });
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
        application_fee_amount: params.application_fee_amount ? Number(params.application_fee_amount) : null,
      }),
    );
    if (intent.application_fee_amount !== null && !this.account) {
      throw invalid('Can only apply an application_fee_amount when the PaymentIntent is created on behalf of another account.', {
        param: 'application_fee_amount',
      });
    }
    intent.client_secret = `${intent.id}_secret_${randomBytes(12).toString('hex')}`;
    return confirm && method ? this.confirm(intent, method, params) : intent;
  }

  /** What Stripe.js does once the customer passed (or failed) 3-D Secure on a PaymentIntent awaiting it. */
  completeAction(id: string, outcome: 'pass' | 'fail'): void {
    this.as(this.accountHolding(id), () => this.completeActionOfAccount(id, outcome));
  }

  private completeActionOfAccount(id: string, outcome: 'pass' | 'fail'): void {
    const intent = this.existing(id, 'payment_intent');
    if (intent.status !== 'requires_action') throw new Error(`${id} is ${intent.status}, not requires_action`);
    const method = this.paymentMethod(intent.payment_method, 'payment_method');
    if (outcome === 'fail') {
      Object.assign(intent, {
        status: 'requires_payment_method',
        next_action: null,
        payment_method: null,
        last_payment_error: {
          type: 'card_error',
          code: 'payment_intent_authentication_failure',
          message: 'The provided PaymentMethod has failed authentication.',
          payment_method: structuredClone(method),
        },
      });
      return;
    }
    const charge = this.createCharge(intent, method, { ...TEST_PAYMENT_METHODS[method.id], requiresAction: false });
    Object.assign(intent, { status: 'succeeded', next_action: null, amount_received: intent.amount, latest_charge: charge.id });
  }

  /** Wrong micro-deposit answers per PaymentIntent. */
  private readonly verificationAttempts = new Map<string, number>();

  /** Stripe's verify_microdeposits: the right answer starts the debit; a wrong one uses up one of ten attempts. */
  private verifyMicrodeposits(id: string, params: Json): Json {
    const intent = this.existing(id, 'payment_intent');
    if (intent.status !== 'requires_action' || intent.next_action?.type !== 'verify_with_microdeposits') {
      throw invalid(`This PaymentIntent's status is ${intent.status}: it does not await micro-deposit verification.`, {
        code: 'payment_intent_unexpected_state',
      });
    }
    const byAmounts = intent.next_action.verify_with_microdeposits.microdeposit_type === 'amounts';
    const given = byAmounts
      ? [...(params.amounts ?? [])]
          .map(Number)
          .sort((a, b) => a - b)
          .join(',')
      : String(params.descriptor_code ?? '');
    if (given === (byAmounts ? MICRODEPOSITS.amounts : MICRODEPOSITS.descriptorCode)) {
      const method = this.paymentMethod(intent.payment_method, 'payment_method');
      const charge = this.createCharge(intent, method, TEST_PAYMENT_METHODS[method.id]);
      return Object.assign(intent, { status: 'processing', next_action: null, latest_charge: charge.id });
    }
    const exceeded = given === (byAmounts ? MICRODEPOSITS.exceedAmounts : MICRODEPOSITS.exceedDescriptorCode);
    const attempts = exceeded ? MICRODEPOSITS.attempts : (this.verificationAttempts.get(id) ?? 0) + 1;
    this.verificationAttempts.set(id, attempts);
    if (attempts >= MICRODEPOSITS.attempts) {
      const error = {
        type: 'invalid_request_error',
        code: 'payment_method_microdeposit_verification_attempts_exceeded',
        message: 'You have exceeded the number of allowed verification attempts.',
      };
      Object.assign(intent, {
        status: 'requires_payment_method',
        next_action: null,
        last_payment_error: { ...error, payment_method: structuredClone(this.paymentMethod(intent.payment_method, 'payment_method')) },
        payment_method: null,
      });
      throw invalid(error.message, { code: error.code });
    }
    const remaining = MICRODEPOSITS.attempts - attempts;
    throw byAmounts
      ? invalid(
          `The amounts provided do not match the amounts that were sent to the bank account. You have ${remaining} verification attempts remaining.`,
          { code: 'payment_method_microdeposit_verification_amounts_mismatch' },
        )
      : invalid(
          `The descriptor code provided does not match the one sent to the bank account. You have ${remaining} verification attempts remaining.`,
          { code: 'payment_method_microdeposit_verification_descriptor_code_mismatch' },
        );
  }

  private cancelPaymentIntent(id: string, params: Json): Json {
    const intent = this.existing(id, 'payment_intent');
    if (
      !['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'].includes(intent.status)
    ) {
      throw invalid(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        { code: 'payment_intent_unexpected_state', payment_intent: structuredClone(intent) },
      );
    }
    return Object.assign(intent, {
      status: 'canceled',
      next_action: null,
      canceled_at: now(),
      cancellation_reason: params.cancellation_reason ?? null,
    });
  }

  private confirm(intent: Json, method: Json, params: Json = {}): Json {
    const test = TEST_PAYMENT_METHODS[method.id];
    if (test.requiresAction && params.off_session === 'true') {
      const decline = {
        code: 'authentication_required',
        decline_code: 'authentication_required',
        message: 'Your card was declined. This transaction requires authentication.',
      };
      const charge = this.createCharge(intent, method, { ...test, decline });
      Object.assign(intent, {
        status: 'requires_payment_method',
        payment_method: null,
        latest_charge: charge.id,
        last_payment_error: { type: 'card_error', ...decline, charge: charge.id, payment_method: structuredClone(method) },
      });
      throw new StripeFailure(402, { ...intent.last_payment_error, payment_intent: structuredClone(intent) });
    }
    if (test.requiresAction && params.payment_method_options?.card?.moto !== 'true') {
      return Object.assign(intent, { status: 'requires_action', next_action: { type: 'use_stripe_sdk', use_stripe_sdk: {} } });
    }
    if (test.microdeposits) {
      return Object.assign(intent, {
        status: 'requires_action',
        next_action: {
          type: 'verify_with_microdeposits',
          verify_with_microdeposits: {
            arrival_date: now() + 2 * 86_400,
            hosted_verification_url: `https://payments.stripe.com/microdeposit/pacs_test_${randomBytes(12).toString('hex')}`,
            microdeposit_type: test.microdeposits,
          },
        },
      });
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
    Object.assign(intent, {
      status: succeeded ? 'succeeded' : 'processing',
      amount_received: succeeded ? intent.amount : 0,
      latest_charge: charge.id,
    });
    if (test.disputed) this.disputeChargeOfAccount(charge.id);
    return intent;
  }

  // --- disputes (Stripe's test card pm_card_createDispute is disputed right after it succeeds) ---

  /**
   * The cardholder disputes a charge (what pm_card_createDispute does by itself). As at Stripe: the
   * dispute opens needing a response, and a balance transaction withdraws its amount and the $15.00 fee.
   */
  disputeCharge(chargeId: string): Json {
    return this.as(this.accountHolding(chargeId), () => this.disputeChargeOfAccount(chargeId));
  }

  private disputeChargeOfAccount(chargeId: string): Json {
    const charge = this.existing(chargeId, 'charge');
    const id = newId('du');
    const fee = 1500;
    const withdrawal = this.store(
      stripeFixture('balance_transaction', {
        id: newId('txn'),
        amount: -charge.amount,
        created: now(),
        currency: charge.currency,
        description: `Chargeback withdrawal for ${charge.id}`,
        fee,
        fee_details: [{ amount: fee, application: null, currency: charge.currency, description: 'Dispute fee', type: 'stripe_fee' }],
        net: -charge.amount - fee,
        reporting_category: 'dispute',
        source: id,
        type: 'adjustment',
      }),
    );
    charge.disputed = true;
    return this.store(
      stripeFixture('dispute', {
        id,
        amount: charge.amount,
        balance_transactions: [structuredClone(withdrawal)],
        charge: charge.id,
        created: now(),
        currency: charge.currency,
        evidence: { ...fixtures.dispute.evidence },
        evidence_details: { ...fixtures.dispute.evidence_details, due_by: now() + 7 * 86_400, has_evidence: false, submission_count: 0 },
        is_charge_refundable: false,
        payment_intent: charge.payment_intent,
        payment_method_details: { type: 'card', card: { brand: 'visa', case_type: 'chargeback', network_reason_code: '10.4' } },
        reason: 'fraudulent',
        status: 'needs_response',
      }),
    );
  }

  /** The dispute of a payment, as Stripe holds it now. */
  disputeOf(paymentIntentId: string): Json {
    const dispute = this.objectsOf('dispute').find((d) => d.payment_intent === paymentIntentId);
    if (!dispute) throw new Error(`No dispute of ${paymentIntentId}`);
    return dispute;
  }

  /** Stripe's evidence update: staged, or submitted (then under review); a decided dispute takes none. */
  private updateDispute(id: string, params: Json): Json {
    const dispute = this.existing(id, 'dispute');
    if (!['needs_response', 'warning_needs_response'].includes(dispute.status)) {
      throw invalid(`This dispute is already closed or under review (${dispute.status}).`, { code: 'dispute_already_closed' });
    }
    Object.assign(dispute.evidence, params.evidence ?? {});
    if (params.submit !== 'false') {
      dispute.status = dispute.status === 'warning_needs_response' ? 'warning_under_review' : 'under_review';
      dispute.evidence_details = {
        ...dispute.evidence_details,
        has_evidence: true,
        submission_count: dispute.evidence_details.submission_count + 1,
      };
    }
    return dispute;
  }

  /** The card network decides: a won dispute's amount comes back (one more balance transaction), a lost one's stays with the cardholder. */
  closeDispute(id: string, outcome: 'won' | 'lost'): Json {
    return this.as(this.accountHolding(id), () => this.closeDisputeOfAccount(id, outcome));
  }

  private closeDisputeOfAccount(id: string, outcome: 'won' | 'lost'): Json {
    const dispute = this.existing(id, 'dispute');
    if (outcome === 'won') {
      const reinstated = this.store(
        stripeFixture('balance_transaction', {
          id: newId('txn'),
          amount: dispute.amount,
          created: now(),
          currency: dispute.currency,
          description: `Chargeback reversal for ${dispute.charge}`,
          fee: 0,
          fee_details: [],
          net: dispute.amount,
          reporting_category: 'dispute_reversal',
          source: dispute.id,
          type: 'adjustment',
        }),
      );
      dispute.balance_transactions.push(structuredClone(reinstated));
    }
    return Object.assign(dispute, { status: outcome, is_charge_refundable: false });
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
              fee_details: [
                { amount: fee, application: null, currency: intent.currency, description: 'Stripe processing fees', type: 'stripe_fee' },
              ],
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
  payOut(options: { arrivalDate?: Date; status?: 'paid' | 'in_transit'; account?: string | null } = {}): Json {
    const unpaid = [...this.objects.values()].filter(
      (object) => object.object === 'balance_transaction' && object.type !== 'payout' && !this.paidOut.has(object.id),
    );
    // Each account pays out its own balance; by default the account of the oldest money not yet paid out.
    const account = options.account !== undefined ? options.account : unpaid.length ? this.accountHolding(unpaid[0].id) : null;
    return this.as(account, () =>
      this.payOutOfAccount(
        unpaid.filter((entry) => this.accountHolding(entry.id) === account),
        options,
      ),
    );
  }

  private payOutOfAccount(entries: Json[], options: { arrivalDate?: Date; status?: 'paid' | 'in_transit' }): Json {
    const id = newId('po');
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
    return this.as(this.accountHolding(id), () => this.failPayoutOfAccount(id));
  }

  private failPayoutOfAccount(id: string): Json {
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
    const payouts = this.objectsOf('payout')
      .filter((payout) => payout.created >= since && this.accountHolding(payout.id) === this.account)
      .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
    return this.page('/v1/payouts', payouts, params);
  }

  private listBalanceTransactions(params: Json): Json {
    if (params.payout) this.existing(params.payout, 'payout', 'payout');
    const transactions = this.objectsOf('balance_transaction').filter(
      (entry) => this.accountHolding(entry.id) === this.account && (!params.payout || this.paidOut.get(entry.id) === params.payout),
    );
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
      throw invalid(
        'Reader is currently offline, please ensure the reader is powered on and connected to the internet before retrying your request.',
        {
          code: 'terminal_reader_offline',
        },
      );
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
