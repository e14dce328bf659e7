import { randomUUID } from 'node:crypto';
import { CardSetupLinkDocument, SaveCardWithLinkDocument } from '@kometpay/schema/checkout';
import {
  AddVaultedCardDocument,
  ChargeInvoicesDocument,
  CustomerVaultedCardsDocument,
  DeleteVaultedCardDocument,
  ElevateSupervisorDocument,
  SendCardSetupLinkDocument,
} from '@kometpay/schema/merchant';
import type { GraphQLClient } from 'graphql-request';
import { AuditLog, CardSetupLink, EmailMessage, VaultedCard } from '../../apps/api/src/app/test-kit.js';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { dumpDatabase, findCardNumbers } from '../support/card-data.js';
import { expectGraphQLError } from '../support/graphql.js';
import { bankAccount, card, TEST_CARDS, tokenise } from '../support/payments.js';
import { openShop, Shop } from '../support/shop.js';
import { startSmtpServer, type TestMailbox } from '../support/smtp.js';

let t: TestApi;
let mail: TestMailbox;
let shop: Shop;
let merchant: TestMerchant;
let other: TestMerchant;
let customerId: string;
let supervisorToken: string;

beforeAll(async () => {
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url, CHECKOUT_URL: 'https://pay.example.test', LOG_LEVEL: 'debug' });
  shop = await openShop(t, 'Acme Flowers', { name: 'Bloom & Stem', email: 'cards@bloom.example' });
  ({ merchant, customerId } = shop);
  other = await t.createMerchant('Other Merchant');
  supervisorToken = await elevate(merchant);
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const supervised = () => merchant.client(supervisorToken);
const elevate = async (owner: TestMerchant) =>
  (await owner.client().request(ElevateSupervisorDocument, { password: owner.supervisorPassword })).elevateSupervisor.token;

/** The customer's saved cards, as a supervisor with this client sees them. */
async function vaultedCards(client: GraphQLClient, id = customerId) {
  const { customer } = await client.request(CustomerVaultedCardsDocument, { customerId: id });
  if (!customer) throw new Error(`customer ${id} not found`);
  return customer.vaultedCards;
}

const addCard = async (paymentMethodToken: string) =>
  (await supervised().request(AddVaultedCardDocument, { customerId, paymentMethodToken })).addVaultedCard;
const sendCardLink = async () => (await supervised().request(SendCardSetupLinkDocument, { customerId })).sendCardSetupLink;
const publicLink = async (token: string) => (await t.checkout.request(CardSetupLinkDocument, { token })).cardSetupLink;
const count = async () => {
  const em = t.orm.em.fork();
  return { cards: await em.count(VaultedCard, {}), links: await em.count(CardSetupLink, {}), emails: await em.count(EmailMessage, {}) };
};

async function openInvoice(amount: string): Promise<string> {
  const { id } = await shop.sentInvoice({
    number: `V-${randomUUID().slice(0, 8)}`,
    lines: [{ description: 'Orchids', quantity: 1, unitAmount: amount }],
  });
  return id;
}

describe('the card vault behind the supervisor password', () => {
  it('refuses listing, adding, deleting and sending a link without elevation, changing nothing', async () => {
    const before = await count();
    const pm = await tokenise(t.url, card(TEST_CARDS.visaCredit));
    const unelevated = merchant.client();
    for (const attempt of [
      () => expectGraphQLError(unelevated, CustomerVaultedCardsDocument, { customerId }),
      () => expectGraphQLError(unelevated, AddVaultedCardDocument, { customerId, paymentMethodToken: pm }),
      () => expectGraphQLError(unelevated, DeleteVaultedCardDocument, { id: randomUUID() }),
      () => expectGraphQLError(unelevated, SendCardSetupLinkDocument, { customerId }),
    ]) {
      expect((await attempt()).extensions?.code).toBe('SUPERVISOR_REQUIRED');
    }
    const expired = await expectGraphQLError(merchant.client('not-a-real-token'), AddVaultedCardDocument, {
      customerId,
      paymentMethodToken: pm,
    });
    expect(expired.extensions?.code).toBe('SUPERVISOR_REQUIRED');
    expect(await count()).toEqual(before);
  });

  it('adds, lists and deletes cards with elevation, and audits each call', async () => {
    const added = await addCard(await tokenise(t.url, card(TEST_CARDS.visaDebit)));
    expect(added).toMatchObject({ brand: 'visa', last4: '5556', expMonth: 12, expYear: 2034, funding: 'DEBIT_CARD', expired: false });
    expect((await vaultedCards(supervised())).map((c) => c.id)).toContain(added.id);

    expect((await supervised().request(DeleteVaultedCardDocument, { id: added.id })).deleteVaultedCard).toBe(true);
    expect((await vaultedCards(supervised())).map((c) => c.id)).not.toContain(added.id);
    const twice = await expectGraphQLError(supervised(), DeleteVaultedCardDocument, { id: added.id });
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
    const expiring = {
      ...card(TEST_CARDS.visaCredit),
      'card[exp_month]': String(now.getUTCMonth() + 1),
      'card[exp_year]': String(now.getUTCFullYear()),
    };
    const added = await addCard(await tokenise(t.url, expiring));
    expect(added.expired).toBe(false);
    t.clock.advance(40 * 86_400_000);
    try {
      const listed = await vaultedCards(merchant.client(supervisorToken)).catch(() => null);
      // The supervisor token itself has expired by then: elevate again on the moved clock.
      const fresh = await elevate(merchant);
      expect(listed).toBeNull();
      const cards = await vaultedCards(merchant.client(fresh));
      expect(cards.find((c) => c.id === added.id)?.expired).toBe(true);
    } finally {
      t.clock.advance(-40 * 86_400_000);
    }
  });

  it('refuses bad input with a coded error, changing nothing', async () => {
    const before = await count();
    const foreignCustomer = (await Shop.open(other, t.url, { name: 'Theirs', email: 'theirs@example.com' })).customerId;
    const add = (variables: { customerId: string; paymentMethodToken: string }) => () =>
      expectGraphQLError(supervised(), AddVaultedCardDocument, variables);
    const cases: [() => ReturnType<typeof expectGraphQLError>, string][] = [
      [add({ customerId: foreignCustomer, paymentMethodToken: 'pm_card_visa' }), 'NOT_FOUND'],
      [add({ customerId: randomUUID(), paymentMethodToken: 'pm_card_visa' }), 'NOT_FOUND'],
      [add({ customerId, paymentMethodToken: '4242424242424242' }), 'INVALID_PAYMENT_METHOD'],
      [add({ customerId, paymentMethodToken: await tokenise(t.url, bankAccount('000123456789')) }), 'INVALID_PAYMENT_METHOD'],
      [add({ customerId, paymentMethodToken: await tokenise(t.url, card(TEST_CARDS.declined)) }), 'BAD_USER_INPUT'],
      [() => expectGraphQLError(supervised(), DeleteVaultedCardDocument, { id: randomUUID() }), 'NOT_FOUND'],
      [() => expectGraphQLError(supervised(), SendCardSetupLinkDocument, { customerId: foreignCustomer }), 'NOT_FOUND'],
    ];
    for (const [attempt, code] of cases) {
      expect((await attempt()).extensions?.code).toBe(code);
    }
    // Another merchant's supervisor cannot see or delete this merchant's cards.
    const mine = await addCard('pm_card_visa');
    const otherToken = await elevate(other);
    expect((await expectGraphQLError(other.client(otherToken), DeleteVaultedCardDocument, { id: mine.id })).extensions?.code).toBe(
      'NOT_FOUND',
    );
    expect((await other.client(otherToken).request(CustomerVaultedCardsDocument, { customerId })).customer).toBeNull();
    expect(await count()).toEqual({ ...before, cards: before.cards + 1 });
  });
});

describe('"Send New CC Link" and "Save CC Data"', () => {
  it('emails a single-use link whose card lands in the vault', async () => {
    const sent = await sendCardLink();
    expect(sent.url).toMatch(/^https:\/\/pay\.example\.test\/card\/[A-Za-z0-9_-]{43}$/);
    const email = await mail.waitFor((m) => m.text?.includes(sent.url) === true);
    expect(email.subject).toMatch(/card/i);
    const token = sent.url.split('/').pop()!;

    expect(await publicLink(token)).toMatchObject({
      merchantName: 'Acme Flowers',
      customerName: 'Bloom & Stem',
      status: 'ACTIVE',
      processor: { kind: 'SANDBOX', tokeniserUrl: expect.stringContaining('/sandbox/v1/payment_methods') },
    });
    const saved = (
      await t.checkout.request(SaveCardWithLinkDocument, { token, paymentMethodToken: await tokenise(t.url, card(TEST_CARDS.visaCredit)) })
    ).saveCardWithLink;
    expect(saved.card).toEqual({ brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 });
    expect((await publicLink(token))?.status).toBe('USED');
    const reuse = await expectGraphQLError(t.checkout, SaveCardWithLinkDocument, { token, paymentMethodToken: 'pm_card_visa' });
    expect(reuse.extensions?.code).toBe('CARD_SETUP_LINK_USED');

    const fromLink = (await vaultedCards(supervised())).find((c) => c.last4 === '4242' && c.expYear === 2034);
    if (!fromLink) throw new Error('the card saved with the link is not in the vault');

    // The saved card pays an invoice without any supervisor elevation.
    const invoiceId = await openInvoice('8800');
    const paid = (
      await merchant.client().request(ChargeInvoicesDocument, {
        input: { customerId, invoiceIds: [invoiceId], vaultedCardId: fromLink.id },
        idempotencyKey: randomUUID(),
      })
    ).chargeInvoices;
    expect(paid).toMatchObject({ status: 'SUCCEEDED', channel: 'VAULT', method: 'CREDIT_CARD', amount: { amount: '8800' } });

    // Once deleted, it cannot be charged.
    await supervised().request(DeleteVaultedCardDocument, { id: fromLink.id });
    const secondInvoice = await openInvoice('1200');
    const refused = await expectGraphQLError(merchant.client(), ChargeInvoicesDocument, {
      input: { customerId, invoiceIds: [secondInvoice], vaultedCardId: fromLink.id },
      idempotencyKey: randomUUID(),
    });
    expect(refused.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses expired and unknown links', async () => {
    const token = (await sendCardLink()).url.split('/').pop()!;
    t.clock.advance(8 * 86_400_000);
    try {
      expect((await publicLink(token))?.status).toBe('EXPIRED');
      expect(
        (await expectGraphQLError(t.checkout, SaveCardWithLinkDocument, { token, paymentMethodToken: 'pm_card_visa' })).extensions?.code,
      ).toBe('CARD_SETUP_LINK_EXPIRED');
    } finally {
      t.clock.advance(-8 * 86_400_000);
    }
    expect(await publicLink('unknown')).toBeNull();
    expect(
      (await expectGraphQLError(t.checkout, SaveCardWithLinkDocument, { token: 'unknown', paymentMethodToken: 'pm_card_visa' })).extensions
        ?.code,
    ).toBe('NOT_FOUND');
  });

  it('gives the link back when the processor refuses the card', async () => {
    const token = (await sendCardLink()).url.split('/').pop()!;
    const declined = await expectGraphQLError(t.checkout, SaveCardWithLinkDocument, {
      token,
      paymentMethodToken: await tokenise(t.url, card(TEST_CARDS.declined)),
    });
    expect(declined.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PAYMENT_DECLINED' });
    expect((await publicLink(token))?.status).toBe('ACTIVE');
    await t.checkout.request(SaveCardWithLinkDocument, { token, paymentMethodToken: 'pm_card_visa_debit' });
    expect((await publicLink(token))?.status).toBe('USED');
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
