import { randomUUID } from 'node:crypto';
import { AddVaultedCardDocument, ChargeInvoicesDocument } from '@kometpay/schema/merchant';
import { ClientError } from 'graphql-request';
import { startTestApi, type TestApi } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { card, TEST_CARDS, tokenise } from '../support/payments.js';
import { Shop } from '../support/shop.js';
import { assertInvariant } from './invariant.js';
import { report } from './support/battery.js';
import { scanAndClose } from './support/card-scan.js';
import { diffSnapshots, takeSnapshot } from './support/snapshot.js';

type Json = Record<string, any>;

const CREATE_CUSTOMER = 'mutation ($email: String!) { createCustomer(input: { name: "Header Injector", email: $email }) { id email } }';

let t: TestApi;
let acme: Shop;
let bravo: Shop;

beforeAll(async () => {
  t = await startTestApi();
  acme = await Shop.open(await t.createMerchant('Acme Vault'), t.url);
  bravo = await Shop.open(await t.createMerchant('Bravo Vault'), t.url);
});
afterAll(() => scanAndClose('addresses and saved cards', t));

describe('email addresses', () => {
  it('refuses control characters, CR/LF in a quoted local part included, changing nothing', async () => {
    const hostile = [
      '"a\r\nb"@example.com',
      '"x\r\nBcc: everyone@example.com"@example.com',
      '"tab\there"@example.com',
      '"c1\u0085"@example.com',
      'ap@bloom.example\n',
    ];
    const before = await takeSnapshot(t.db.url);
    const codes: unknown[] = [];
    for (const email of hostile) {
      const error = await expectGraphQLError(acme.client, CREATE_CUSTOMER, { email });
      codes.push(error.extensions?.code);
      expect({ email, code: error.extensions?.code, field: error.extensions?.field }).toEqual({
        email,
        code: 'BAD_USER_INPUT',
        field: 'email',
      });
    }
    expect(diffSnapshots(before, await takeSnapshot(t.db.url))).toEqual([]);
    // A quoted local part without control characters is still an address.
    const quoted = (await acme.client.request<Json>(CREATE_CUSTOMER, { email: '"john doe"@example.com' })).createCustomer;
    expect(quoted.email).toBe('"john doe"@example.com');
    report(
      'email addresses',
      `${hostile.length} addresses with control characters refused (${JSON.stringify(codes)}), 0 rows changed; "john doe"@example.com accepted`,
    );
  });
});

describe("the sandbox's saved cards", () => {
  it("refuses a card saved for another customer, or another merchant's payment method, as Stripe would; nothing is charged", async () => {
    // Acme saves a card for its customer (behind the supervisor password).
    const saved = await tokenise(t.url, card(TEST_CARDS.visaCredit));
    const vaulted = (
      await (await acme.supervised()).request(AddVaultedCardDocument, { customerId: acme.customerId, paymentMethodToken: saved })
    ).addVaultedCard;

    // Another merchant, holding that payment method's id, charges its own customer's invoice with it.
    const bravoInvoice = await bravo.sentInvoice(5_000);
    const attempts: Record<string, string> = {};
    const attempt = async (name: string, run: () => Promise<Json>) => {
      try {
        const result = await run();
        attempts[name] = `${result.status} ${result.failureCode ?? ''}`.trim();
      } catch (error) {
        attempts[name] = error instanceof ClientError ? String(error.response.errors?.[0]?.extensions?.code) : String(error);
      }
    };
    await attempt("another merchant, Acme's saved card", () => bravo.charge([bravoInvoice.id], saved));
    await attempt("another merchant, Acme's saved card, on its pay page", () => bravo.payWithLink(bravoInvoice.token, saved));
    // Acme itself, without naming the customer the card is saved for (the pay page, manual entry of the token).
    const acmeInvoice = await acme.sentInvoice(5_000);
    await attempt('the same merchant, on the pay page', () => acme.payWithLink(acmeInvoice.token, saved));

    // A payment method tokenised for one merchant (used there first) is not another's.
    const fresh = await tokenise(t.url, card(TEST_CARDS.visaDebit));
    const acmeOther = await acme.sentInvoice(1_000);
    const used = await acme.payWithLink(acmeOther.token, fresh);
    expect(used.status).toBe('SUCCEEDED');
    const bravoOther = await bravo.sentInvoice(1_000);
    await attempt('another merchant, a token Acme used', () => bravo.payWithLink(bravoOther.token, fresh));

    for (const [name, outcome] of Object.entries(attempts))
      expect({ name, refused: /INVALID_PAYMENT_METHOD/.test(outcome) }).toEqual({ name, refused: true });
    const succeeded = await t.orm.em
      .fork()
      .execute<{ merchant_id: string; n: number }[]>(
        `select merchant_id, count(*)::int as n from "transaction" where status = 'SUCCEEDED' and kind = 'CHARGE' group by merchant_id`,
      );
    expect(succeeded.find((row) => row.merchant_id === bravo.merchant.id)).toBeUndefined();

    // The card pays when used as saved: through the vault, for its customer.
    const charged = await acme.client.request(ChargeInvoicesDocument, {
      input: { customerId: acme.customerId, invoiceIds: [acmeInvoice.id], vaultedCardId: vaulted.id },
      idempotencyKey: randomUUID(),
    });
    expect(charged.chargeInvoices.status).toBe('SUCCEEDED');
    await assertInvariant({ databaseUrl: t.db.url, merchants: [acme.merchant, bravo.merchant] });
    report(
      'sandbox saved cards',
      `${Object.keys(attempts).length} uses refused ${JSON.stringify(attempts)}; 0 charges succeeded for the other merchant; the saved card pays through the vault`,
    );
  });
});
