import { randomUUID } from 'node:crypto';
import { SaveCardWithLinkDocument } from '@kometpay/schema/checkout';
import {
  AddVaultedCardDocument,
  ChargeInvoicesDocument,
  CollectTerminalPaymentDocument,
  RegisterTerminalReaderDocument,
  SendCardSetupLinkDocument,
} from '@kometpay/schema/merchant';
import { startTestApi, type TestApi } from '../support/api.js';
import { findCardNumbers } from '../support/card-data.js';
import { bankAccount, card, eventually, TEST_CARDS, tokenise } from '../support/payments.js';
import { outcome, Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { report } from './support/battery.js';
import { scanAndClose, withoutMimeBoundaries } from './support/card-scan.js';

let t: TestApi;
let shop: Shop;

beforeAll(async () => {
  // Everything logged, emails written as files: every place card data could end up is scanned.
  t = await startTestApi({ LOG_LEVEL: 'debug', SANDBOX_ACH_SETTLE_SECONDS: '1' });
  shop = await Shop.open(await t.createMerchant('Careful Flowers'), t.url);
});
// The scan itself: the database, the logs and the emails of everything below.
afterAll(() => scanAndClose('card paths', t));

const post = (path: string, fields: Record<string, string>) =>
  fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

describe('card numbers and CVCs through every path that sees them', () => {
  it('takes card numbers and CVCs in at every entry, and keeps none of them', async () => {
    const numbers = Object.values(TEST_CARDS);
    let tokenised = 0;
    let refused = 0;

    // The pay page: every test card, tokenised with its CVC, then charged.
    for (const number of numbers) {
      const { token } = await shop.sentInvoice(4_000);
      await shop.payWithLink(token, await tokenise(t.url, card(number)));
      tokenised++;
    }
    const ach = await shop.sentInvoice(9_000);
    await shop.payWithLink(ach.token, await tokenise(t.url, bankAccount('000123456789')));
    // Manual entry, with a number the tokeniser refuses (not a test card), and a raw number where a token belongs.
    await shop.charge([(await shop.sentInvoice(3_000)).id], await tokenise(t.url, card(TEST_CARDS.visaDebit)));
    tokenised++;
    expect((await post('/sandbox/v1/payment_methods', card('5555555555554444'))).status).toBe(402);
    expect(await outcome(shop.charge([(await shop.sentInvoice(3_000)).id], TEST_CARDS.visaCredit))).toEqual({
      ok: false,
      code: 'INVALID_PAYMENT_METHOD',
    });
    refused += 2;

    // The vault, staff side and customer side ("Send New CC Link", then "Save CC Data").
    const supervised = await shop.supervised();
    const saved = (
      await supervised.request(AddVaultedCardDocument, {
        customerId: shop.customerId,
        paymentMethodToken: await tokenise(t.url, card(TEST_CARDS.visaCredit)),
      })
    ).addVaultedCard;
    tokenised++;
    await shop.client.request(ChargeInvoicesDocument, {
      input: { customerId: shop.customerId, invoiceIds: [(await shop.sentInvoice(2_500)).id], vaultedCardId: saved.id },
      idempotencyKey: randomUUID(),
    });
    const link = (await supervised.request(SendCardSetupLinkDocument, { customerId: shop.customerId })).sendCardSetupLink.url;
    await shop.checkout.request(SaveCardWithLinkDocument, {
      token: link.slice(link.lastIndexOf('/') + 1),
      paymentMethodToken: await tokenise(t.url, card(TEST_CARDS.visaDebit)),
    });
    tokenised++;

    // The terminal: a card number presented on the simulated reader.
    const reader = (
      await shop.client.request(RegisterTerminalReaderDocument, { input: { label: 'Counter', registrationCode: 'simulated-wpe' } })
    ).registerTerminalReader;
    const onReader = await shop.sentInvoice(6_000);
    const collected = (
      await shop.client.request(CollectTerminalPaymentDocument, {
        readerId: reader.id,
        invoiceIds: [onReader.id],
        idempotencyKey: randomUUID(),
      })
    ).collectTerminalPayment;
    const {
      'card[number]': cardNumber,
      'card[exp_month]': expMonth,
      'card[exp_year]': expYear,
      'card[cvc]': cvc,
    } = card(TEST_CARDS.visaCredit);
    expect(
      (
        await post(`/sandbox/v1/terminal/readers/${reader.processorReference}/present_payment_method`, {
          'card[number]': cardNumber,
          'card[exp_month]': expMonth,
          'card[exp_year]': expYear,
          'card[cvc]': cvc,
        })
      ).status,
    ).toBe(200);
    tokenised++;
    await eventually(async () => (await shop.transaction(collected.id)).status === 'SUCCEEDED');
    await eventually(async () => (await shop.readInvoice(ach.id)).status === 'PAID');
    // Receipts and invoice emails are rendered and delivered as files, to be scanned too.
    await eventually(
      async () =>
        Number(
          (
            await t.orm.em.fork().getConnection().execute<{ n: string }[]>(`select count(*) as n from email_message where status <> 'SENT'`)
          )[0].n,
        ) === 0,
    );

    await assertInvariant({ databaseUrl: t.db.url, merchants: [shop.merchant] });
    report(
      'card data',
      `${tokenised} card numbers with CVC taken in (pay page, manual entry, vault, add-card link, reader), ${refused} refused, all kept as tokens: see the scan line below`,
    );
  });
});

describe('the email scan', () => {
  it("ignores a mailer's MIME boundary that happens to be all digits, and still finds a card number in the body", () => {
    const boundary = '--_NmP-4269243173652086-Part_1';
    const eml = (body: string) =>
      `Content-Type: multipart/alternative;\r\n boundary="${boundary}"\r\n\r\n--${boundary}\r\n\r\n${body}\r\n--${boundary}--\r\n`;
    expect(findCardNumbers(eml('Thank you'))).toEqual(['4269243173652086', '4269243173652086', '4269243173652086']);
    expect(findCardNumbers(withoutMimeBoundaries(eml('Thank you')))).toEqual([]);
    expect(findCardNumbers(withoutMimeBoundaries(eml(`card ${TEST_CARDS.visaCredit}`)))).toEqual([TEST_CARDS.visaCredit]);
  });
});
