import { crc32, deflateSync } from 'node:zlib';
import { SendCardSetupLinkDocument, UpdateMerchantSettingsDocument } from '@kometpay/schema/merchant';
import { client, elevate } from '../people/support.js';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { accessibilityViolations, launchChromium, openWatchedPage, type TestBrowser, type WatchedPage } from '../support/browser.js';
import { freePort, type RunningCheckout, startCheckout } from '../support/checkout.js';
import { Shop } from '../support/shop.js';
import { payLinkIn, startSmtpServer, type TestMailbox } from '../support/smtp.js';

/** A 16x16 PNG (valid chunks and CRCs). */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(16, 0);
  header.writeUInt32BE(16, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.concat(Array.from({ length: 16 }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(48, 0x80)])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

let mail: TestMailbox;
let t: TestApi;
let checkout: RunningCheckout;
let browser: TestBrowser;
let merchant: TestMerchant;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  const checkoutPort = await freePort();
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url, CHECKOUT_URL: `http://127.0.0.1:${checkoutPort}` });
  [checkout, browser] = await Promise.all([startCheckout({ port: checkoutPort, apiUrl: t.url }), launchChromium()]);
  merchant = await t.createMerchant('Sunny Stems');
  const token = await elevate(t, merchant.apiKey, merchant.supervisorPassword);
  await client(t, merchant.apiKey, { supervisorToken: token }).request(UpdateMerchantSettingsDocument, {
    input: { accentColor: '#ffd400', logo: `data:image/png;base64,${png().toString('base64')}` },
  });
}, 60_000);

afterEach(async () => {
  const opened = pages.splice(0);
  await Promise.all(opened.map(({ page }) => page.close()));
  // No CSP violation for the logo or the theme, no script error.
  expect(opened.flatMap(({ problems }) => problems)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await checkout?.close();
  await t?.close();
  await mail?.close();
});

async function shop(): Promise<Shop> {
  return Shop.open(merchant, t.url, { name: 'Bloom', email: 'ap@bloom.example' });
}

describe('the merchant’s branding on the checkout', () => {
  it('shows the logo on the pay page and paints the pay button in the accent colour, readable', async () => {
    await (await shop()).sentInvoice({ number: 'SUN-1', lines: [{ description: 'Sunflowers', quantity: 3, unitAmount: '900' }] });
    const email = await mail.waitFor((m) => m.subject?.startsWith('Invoice SUN-1') === true);
    const page = await openWatchedPage(browser, pages);
    await page.goto(payLinkIn(email).replace(/^https?:\/\/[^/]+/, checkout.url));
    const logo = page.getByRole('img', { name: 'Sunny Stems' });
    await logo.waitFor();
    expect(await logo.evaluate((img: { naturalWidth: number }) => img.naturalWidth)).toBe(16);
    const button = page.locator('button.primary').first();
    await button.waitFor();
    const colours = await button.evaluate((element) => {
      const style = element.ownerDocument.defaultView!.getComputedStyle(element);
      return [style.backgroundColor, style.color];
    });
    expect(colours).toEqual(['rgb(255, 212, 0)', 'rgb(0, 0, 0)']);
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('shows the logo on the add-card page too', async () => {
    const { customerId } = await shop();
    const token = await elevate(t, merchant.apiKey, merchant.supervisorPassword);
    await client(t, merchant.apiKey, { supervisorToken: token }).request(SendCardSetupLinkDocument, { customerId });
    const email = await mail.waitFor((m) => m.subject?.startsWith('Add a card') === true);
    const url = /(https?:\/\/\S+\/card\/[A-Za-z0-9_-]+)/.exec(email.text ?? '')![1];
    const page = await openWatchedPage(browser, pages);
    await page.goto(url.replace(/^https?:\/\/[^/]+/, checkout.url));
    const logo = page.getByRole('img', { name: 'Sunny Stems' });
    await logo.waitFor();
    expect(await logo.evaluate((img: { naturalWidth: number }) => img.naturalWidth)).toBe(16);
  });
});
