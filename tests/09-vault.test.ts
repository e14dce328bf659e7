import { randomUUID } from 'node:crypto';
import { AuditLog } from '../apps/api/src/modules/audit/audit-log.entity.js';
import { EmailMessage } from '../apps/api/src/modules/email/email-message.entity.js';
import { CardSetupLink } from '../apps/api/src/modules/vault/card-setup-link.entity.js';
import { VaultedCard } from '../apps/api/src/modules/vault/vaulted-card.entity.js';
import { startTestApi, type TestApi, type TestMerchant } from './support/api.js';
import { dumpDatabase, findCardNumbers } from './support/card-data.js';
import { expectGraphQLError } from './support/graphql.js';
import { TEST_CARDS, bankAccount, card, tokenise } from './support/payments.js';
import { startSmtpServer, type TestMailbox } from './support/smtp.js';

type Json = Record<string, any>;

const CARDS = `query ($id: ID!) { customer(id: $id) { id vaultedCards { id brand last4 expMonth expYear funding expired } } }`;
const ADD = `mutation ($customerId: ID!, $pm: String!) { addVaultedCard(customerId: $customerId, paymentMethodToken: $pm) { id brand last4 expMonth expYear funding expired } }`;
const DELETE = `mutation ($id: ID!) { deleteVaultedCard(id: $id) }`;
const SEND_LINK = `mutation ($customerId: ID!) { sendCardSetupLink(customerId: $customerId) { id url expiresAt } }`;
const PUBLIC_LINK = `query ($token: String!) { cardSetupLink(token: $token) { merchantName customerName status expiresAt processor { kind tokeniserUrl } } }`;
const SAVE = `mutation ($token: String!, $pm: String!) { saveCardWithLink(token: $token, paymentMethodToken: $pm) { card { brand last4 expMonth expYear } } }`;
const CHARGE = `mutation ($input: ChargeInvoicesInput!, $key: String!) { chargeInvoices(input: $input, idempotencyKey: $key) { id status channel method amount { amount } } }`;

let t: TestApi;
let mail: TestMailbox;
let merchant: TestMerchant;
let other: TestMerchant;
let customerId: string;
let supervisorToken: string;

beforeAll(async () => {
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url, CHECKOUT_URL: 'https://pay.example.test', LOG_LEVEL: 'debug' });
  merchant = await t.createMerchant('Acme Flowers');
  other = await t.createMerchant('Other Merchant');
  customerId = (await merchant.client().request<Json>(`mutation { createCustomer(input: { name: "Bloom & Stem", email: "cards@bloom.example" }) { id } }`)).createCustomer.id;
  supervisorToken = (await merchant.client().request<Json>(`mutation ($p: String!) { elevateSupervisor(password: $p) { token } }`, { p: merchant.supervisorPassword })).elevateSupervisor.token;
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const supervised = () => merchant.client(supervisorToken);
const count = async () => {
  const em = t.orm.em.fork();
  return { cards: await em.count(VaultedCard, {}), links: await em.count(CardSetupLink, {}), emails: await em.count(EmailMessage, {}) };
};

async function openInvoice(amount: string): Promise<string> {
  const { createInvoice } = await merchant.client().request<Json>(`mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`, {
    input: { customerId, number: `V-${randomUUID().slice(0, 8)}`, currency: 'USD', lines: [{ description: 'Orchids', quantity: 1, unitAmount: amount }] },
  });
  await merchant.client().request(`mutation ($id: ID!) { sendInvoice(id: $id) { id } }`, { id: createInvoice.id });
  return createInvoice.id;
}

describe('the card vault behind the supervisor password', () => {
  it('refuses listing, adding, deleting and sending a link without elevation, changing nothing', async () => {
    const before = await count();
    const pm = await tokenise(t.url, card(TEST_CARDS.visaCredit));
    for (const [operation, variables] of [
      [CARDS, { id: customerId }],
      [ADD, { customerId, pm }],
      [DELETE, { id: randomUUID() }],
      [SEND_LINK, { customerId }],
    ] as const) {
      const error = await expectGraphQLError(merchant.client(), operation, variables);
      expect(error.extensions?.code).toBe('SUPERVISOR_REQUIRED');
    }
    const expired = await expectGraphQLError(merchant.client('not-a-real-token'), ADD, { customerId, pm });
    expect(expired.extensions?.code).toBe('SUPERVISOR_REQUIRED');
    expect(await count()).toEqual(before);
  });

  it('adds, lists and deletes cards with elevation, and audits each call', async () => {
    const added = (await supervised().request<Json>(ADD, { customerId, pm: await tokenise(t.url, card(TEST_CARDS.visaDebit)) })).addVaultedCard;
    expect(added).toMatchObject({ brand: 'visa', last4: '5556', expMonth: 12, expYear: 2034, funding: 'DEBIT_CARD', expired: false });
    const listed = (await supervised().request<Json>(CARDS, { id: customerId })).customer.vaultedCards;
    expect(listed.map((c: Json) => c.id)).toContain(added.id);

    expect((await supervised().request<Json>(DELETE, { id: added.id })).deleteVaultedCard).toBe(true);
    expect((await supervised().request<Json>(CARDS, { id: customerId })).customer.vaultedCards.map((c: Json) => c.id)).not.toContain(added.id);
    const twice = await expectGraphQLError(supervised(), DELETE, { id: added.id });
    expect(twice.extensions?.code).toBe('ALREADY_DELETED');

    const audit = await t.orm.em.fork().find(AuditLog, { merchantId: merchant.id }, { orderBy: { id: 'asc' } });
    const actions = audit.map((row) => row.action);
    expect(actions).toEqual(expect.arrayContaining(['supervisor.access', 'vault.card.added', 'vault.card.deleted']));
    const addedRow = audit.find((row) => row.action === 'vault.card.added')!;
    expect(addedRow).toMatchObject({ actorType: 'api_key', targetId: added.id, details: { customerId, last4: '5556' } });
    expect(audit.filter((row) => row.action === 'supervisor.access').map((row) => row.targetId)).toEqual(
      expect.arrayContaining(['Mutation.addVaultedCard', 'Customer.vaultedCards', 'Mutation.deleteVaultedCard']),
    );
  });

  it('flags cards past their expiry month on the listing', async () => {
    const now = new Date();
    const expiring = { ...card(TEST_CARDS.visaCredit), 'card[exp_month]': String(now.getUTCMonth() + 1), 'card[exp_year]': String(now.getUTCFullYear()) };
    const added = (await supervised().request<Json>(ADD, { customerId, pm: await tokenise(t.url, expiring) })).addVaultedCard;
    expect(added.expired).toBe(false);
    t.clock.advance(40 * 86_400_000);
    try {
      const listed = (await merchant.client(supervisorToken).request<Json>(CARDS, { id: customerId }).catch(() => null)) ?? null;
      // The supervisor token itself has expired by then: elevate again on the moved clock.
      const fresh = (await merchant.client().request<Json>(`mutation ($p: String!) { elevateSupervisor(password: $p) { token } }`, { p: merchant.supervisorPassword })).elevateSupervisor.token;
      expect(listed).toBeNull();
      const cards = (await merchant.client(fresh).request<Json>(CARDS, { id: customerId })).customer.vaultedCards;
      expect(cards.find((c: Json) => c.id === added.id).expired).toBe(true);
    } finally {
      t.clock.advance(-40 * 86_400_000);
    }
  });

  it('refuses bad input with a coded error, changing nothing', async () => {
    const before = await count();
    const foreignCustomer = (await other.client().request<Json>(`mutation { createCustomer(input: { name: "Theirs", email: "theirs@example.com" }) { id } }`)).createCustomer.id;
    const cases: [string, Json, string][] = [
      [ADD, { customerId: foreignCustomer, pm: 'pm_card_visa' }, 'NOT_FOUND'],
      [ADD, { customerId: randomUUID(), pm: 'pm_card_visa' }, 'NOT_FOUND'],
      [ADD, { customerId, pm: '4242424242424242' }, 'INVALID_PAYMENT_METHOD'],
      [ADD, { customerId, pm: await tokenise(t.url, bankAccount('000123456789')) }, 'INVALID_PAYMENT_METHOD'],
      [ADD, { customerId, pm: await tokenise(t.url, card(TEST_CARDS.declined)) }, 'BAD_USER_INPUT'],
      [DELETE, { id: randomUUID() }, 'NOT_FOUND'],
      [SEND_LINK, { customerId: foreignCustomer }, 'NOT_FOUND'],
    ];
    for (const [operation, variables, code] of cases) {
      expect((await expectGraphQLError(supervised(), operation, variables)).extensions?.code).toBe(code);
    }
    // Another merchant's supervisor cannot see or delete this merchant's cards.
    const mine = (await supervised().request<Json>(ADD, { customerId, pm: 'pm_card_visa' })).addVaultedCard;
    const otherToken = (await other.client().request<Json>(`mutation ($p: String!) { elevateSupervisor(password: $p) { token } }`, { p: other.supervisorPassword })).elevateSupervisor.token;
    expect((await expectGraphQLError(other.client(otherToken), DELETE, { id: mine.id })).extensions?.code).toBe('NOT_FOUND');
    expect((await other.client(otherToken).request<Json>(CARDS, { id: customerId })).customer).toBeNull();
    expect(await count()).toEqual({ ...before, cards: before.cards + 1 });
  });
});

describe('"Send New CC Link" and "Save CC Data"', () => {
  it('emails a single-use link whose card lands in the vault', async () => {
    const sent = (await supervised().request<Json>(SEND_LINK, { customerId })).sendCardSetupLink;
    expect(sent.url).toMatch(/^https:\/\/pay\.example\.test\/card\/[A-Za-z0-9_-]{43}$/);
    const email = await mail.waitFor((m) => m.text?.includes(sent.url) === true);
    expect(email.subject).toMatch(/card/i);
    const token = sent.url.split('/').pop()!;

    expect((await t.checkout.request<Json>(PUBLIC_LINK, { token })).cardSetupLink).toMatchObject({
      merchantName: 'Acme Flowers',
      customerName: 'Bloom & Stem',
      status: 'ACTIVE',
      processor: { kind: 'SANDBOX', tokeniserUrl: expect.stringContaining('/sandbox/v1/payment_methods') },
    });
    const saved = (await t.checkout.request<Json>(SAVE, { token, pm: await tokenise(t.url, card(TEST_CARDS.visaCredit)) })).saveCardWithLink;
    expect(saved.card).toEqual({ brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 });
    expect((await t.checkout.request<Json>(PUBLIC_LINK, { token })).cardSetupLink.status).toBe('USED');
    const reuse = await expectGraphQLError(t.checkout, SAVE, { token, pm: 'pm_card_visa' });
    expect(reuse.extensions?.code).toBe('CARD_SETUP_LINK_USED');

    const cards = (await supervised().request<Json>(CARDS, { id: customerId })).customer.vaultedCards;
    const fromLink = cards.find((c: Json) => c.last4 === '4242' && c.expYear === 2034);
    expect(fromLink).toBeTruthy();

    // The saved card pays an invoice without any supervisor elevation.
    const invoiceId = await openInvoice('8800');
    const paid = (await merchant.client().request<Json>(CHARGE, { input: { customerId, invoiceIds: [invoiceId], vaultedCardId: fromLink.id }, key: randomUUID() })).chargeInvoices;
    expect(paid).toMatchObject({ status: 'SUCCEEDED', channel: 'VAULT', method: 'CREDIT_CARD', amount: { amount: '8800' } });

    // Once deleted, it cannot be charged.
    await supervised().request(DELETE, { id: fromLink.id });
    const secondInvoice = await openInvoice('1200');
    const refused = await expectGraphQLError(merchant.client(), CHARGE, { input: { customerId, invoiceIds: [secondInvoice], vaultedCardId: fromLink.id }, key: randomUUID() });
    expect(refused.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses expired and unknown links', async () => {
    const sent = (await supervised().request<Json>(SEND_LINK, { customerId })).sendCardSetupLink;
    const token = sent.url.split('/').pop()!;
    t.clock.advance(8 * 86_400_000);
    try {
      expect((await t.checkout.request<Json>(PUBLIC_LINK, { token })).cardSetupLink.status).toBe('EXPIRED');
      expect((await expectGraphQLError(t.checkout, SAVE, { token, pm: 'pm_card_visa' })).extensions?.code).toBe('CARD_SETUP_LINK_EXPIRED');
    } finally {
      t.clock.advance(-8 * 86_400_000);
    }
    expect((await t.checkout.request<Json>(PUBLIC_LINK, { token: 'unknown' })).cardSetupLink).toBeNull();
    expect((await expectGraphQLError(t.checkout, SAVE, { token: 'unknown', pm: 'pm_card_visa' })).extensions?.code).toBe('NOT_FOUND');
  });

  it('gives the link back when the processor refuses the card', async () => {
    const sent = (await supervised().request<Json>(SEND_LINK, { customerId })).sendCardSetupLink;
    const token = sent.url.split('/').pop()!;
    const declined = await expectGraphQLError(t.checkout, SAVE, { token, pm: await tokenise(t.url, card(TEST_CARDS.declined)) });
    expect(declined.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PAYMENT_DECLINED' });
    expect((await t.checkout.request<Json>(PUBLIC_LINK, { token })).cardSetupLink.status).toBe('ACTIVE');
    await t.checkout.request(SAVE, { token, pm: 'pm_card_visa_debit' });
    expect((await t.checkout.request<Json>(PUBLIC_LINK, { token })).cardSetupLink.status).toBe('USED');
  });
});

describe('card data', () => {
  it('never reaches the database or the logs', async () => {
    const dump = await dumpDatabase(t.orm.em.fork());
    expect(dump.length).toBeGreaterThan(1000);
    expect(findCardNumbers(dump)).toEqual([]);
    expect(dump).not.toMatch(/cvc/i);
    const logs = t.logs.join('\n');
    expect(t.logs.length).toBeGreaterThan(10);
    expect(findCardNumbers(logs)).toEqual([]);
    // The scanner does find a number where there is one.
    expect(findCardNumbers(`x ${TEST_CARDS.visaCredit} y`)).toEqual([TEST_CARDS.visaCredit]);
  });
});
