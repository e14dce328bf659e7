import { crc32, deflateSync } from 'node:zlib';
import { PayWithLinkDocument } from '@kometpay/schema/checkout';
import {
  MerchantSettingsDocument,
  type MerchantSettingsInput,
  SendCardSetupLinkDocument,
  UpdateMerchantSettingsDocument,
} from '@kometpay/schema/merchant';
import type { ParsedMail } from 'mailparser';
import { client, elevate } from '../people/support.js';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { expectGraphQLError } from '../support/graphql.js';
import { Shop } from '../support/shop.js';
import { payLinkIn, startSmtpServer, type TestMailbox, tokenOf } from '../support/smtp.js';

/** A real PNG (one chunk of each kind, valid CRCs) of width x height pixels, with `padding` bytes of extra text. */
function png(width: number, height: number, padding = 0): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.concat(Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x2a)])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...(padding ? [chunk('tEXt', Buffer.alloc(padding, 0x61))] : []),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
const dataUrl = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0', 'latin1'),
  Buffer.alloc(64, 0),
  Buffer.from([0xff, 0xd9]),
]);
const HOSTILE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 40 20" onload="alert(1)">
  <script>alert(document.cookie)</script>
  <style>@import url(https://evil.example/x.css);</style>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#0a0"/></linearGradient></defs>
  <rect width="40" height="20" fill="url(#g)" onclick="alert(2)"/>
  <rect width="10" height="10" fill="url(https://evil.example/track.svg#p)" style="fill:url(https://evil.example/s)"/>
  <image href="https://evil.example/pixel.png" width="1" height="1"/>
  <use xlink:href="https://evil.example/sprite.svg#icon"/>
  <a href="javascript:alert(3)"><text x="2" y="15">Acme</text></a>
  <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>
</svg>`;

let mail: TestMailbox;
let t: TestApi;
let merchant: TestMerchant;
let supervisorToken: string;

beforeAll(async () => {
  mail = await startSmtpServer();
  t = await startTestApi({ SMTP_URL: mail.url, CHECKOUT_URL: 'https://pay.example.test' });
  merchant = await t.createMerchant('Branded Flowers');
  supervisorToken = await elevate(t, merchant.apiKey, merchant.supervisorPassword);
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

const supervised = () => client(t, merchant.apiKey, { supervisorToken });
const settings = async () => (await merchant.client().request(MerchantSettingsDocument)).merchant;
const update = (input: MerchantSettingsInput) => supervised().request(UpdateMerchantSettingsDocument, { input });

describe('merchant settings', () => {
  it('need a supervisor elevation', async () => {
    expect(
      (await expectGraphQLError(merchant.client(), UpdateMerchantSettingsDocument, { input: { displayName: 'Nope' } })).extensions?.code,
    ).toBe('SUPERVISOR_REQUIRED');
  });

  it('set the display name, support email and accent colour, with a readable text colour on it', async () => {
    const { updateMerchantSettings } = await update({
      displayName: '  Branded Flowers Ltd ',
      supportEmail: 'Help@Branded.example',
      accentColor: '#FD0',
    });
    expect(updateMerchantSettings).toEqual({
      name: 'Branded Flowers Ltd',
      settings: {
        displayName: 'Branded Flowers Ltd',
        supportEmail: 'help@branded.example',
        accentColor: '#ffdd00',
        accentTextColor: '#000000',
        logoUrl: null,
      },
    });
    expect((await update({ accentColor: '#1e3a8a' })).updateMerchantSettings.settings).toMatchObject({
      accentColor: '#1e3a8a',
      accentTextColor: '#ffffff',
    });
    const rows = await t.orm.em
      .fork()
      .getConnection()
      .execute<{ details: { changed: string[] } }[]>(
        "select details from audit_log where action = 'merchant.settings.updated' and merchant_id = ? order by id",
        [merchant.id],
      );
    expect(rows.map((row) => row.details.changed)).toEqual([['displayName', 'supportEmail', 'accentColor'], ['accentColor']]);
  });

  it.each<[MerchantSettingsInput, string]>([
    [{ accentColor: 'red' }, 'accentColor'],
    [{ accentColor: '#12345' }, 'accentColor'],
    [{ accentColor: '#fff;x' }, 'accentColor'],
    [{ supportEmail: 'not an email' }, 'supportEmail'],
    [{ supportEmail: 'a@b.example\r\nBcc: x@y.example' }, 'supportEmail'],
    [{ supportEmail: '"quoted\r\n"@b.example' }, 'supportEmail'],
    [{ displayName: '   ' }, 'displayName'],
    [{ logo: 'https://example.com/logo.png' }, 'logo'],
    [{ logo: dataUrl('text/plain', Buffer.from('hello')) }, 'logo'],
    [{ logo: dataUrl('image/gif', Buffer.from('GIF89a....')) }, 'logo'],
    [{ logo: dataUrl('image/png', JPEG) }, 'logo'],
    [{ logo: dataUrl('image/jpeg', png(1, 1)) }, 'logo'],
    [{ logo: dataUrl('image/png', Buffer.from('not a png at all')) }, 'logo'],
    [{ logo: dataUrl('image/svg+xml', png(1, 1)) }, 'logo'],
    [{ logo: dataUrl('image/svg+xml', Buffer.from('<html><body>not svg</body></html>')) }, 'logo'],
    [{ logo: dataUrl('image/png', png(4, 4, 205 * 1024)) }, 'logo'],
  ])('refuses %j with a coded error naming %s, and changes nothing (not even the valid fields beside it)', async (input, field) => {
    const before = await settings();
    const refused = await expectGraphQLError(supervised(), UpdateMerchantSettingsDocument, {
      input: { displayName: 'Should Not Stick', ...input },
    });
    expect(refused.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await settings()).toEqual(before);
  });
});

describe('the logo', () => {
  it('takes a PNG, serves it from a content-addressed URL cached for a year, and keeps old URLs working', async () => {
    const bytes = png(3, 2);
    const { settings: first } = (await update({ logo: dataUrl('image/png', bytes) })).updateMerchantSettings;
    expect(first.logoUrl).toMatch(new RegExp(`^${t.url}/branding/${merchant.id}/logo-[0-9a-f]{32}\\.png$`));
    const served = await fetch(first.logoUrl!);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);

    const { settings: second } = (await update({ logo: dataUrl('image/jpeg', JPEG) })).updateMerchantSettings;
    expect(second.logoUrl).toMatch(/\.jpg$/);
    const old = await fetch(first.logoUrl!);
    expect(old.headers.get('content-type')).toBe('image/jpeg');
    expect(old.headers.get('cache-control')).toBe('public, max-age=300');
    expect((await fetch(`${t.url}/branding/${merchant.id}/logo-${'0'.repeat(32)}.gif`)).status).toBe(404);
    expect((await fetch(`${t.url}/branding/not-a-uuid/logo-${'0'.repeat(32)}.png`)).status).toBe(404);
  });

  it('sanitises an SVG: no scripts, no event handlers, nothing loaded from outside; served under a policy that runs nothing', async () => {
    const { settings: saved } = (await update({ logo: `data:image/svg+xml,${encodeURIComponent(HOSTILE_SVG)}` })).updateMerchantSettings;
    const served = await fetch(saved.logoUrl!);
    expect(served.headers.get('content-type')).toBe('image/svg+xml');
    expect(served.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const svg = await served.text();
    expect(svg).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg /);
    expect(svg).toContain('fill="url(#g)"');
    expect(svg).toContain('>Acme</text>');
    for (const banned of [
      '<script',
      'onload',
      'onclick',
      'alert',
      '<style',
      'evil.example',
      '<image',
      '<use',
      'javascript:',
      'foreignObject',
      '<a ',
    ]) {
      expect(svg).not.toContain(banned);
    }
  });

  it('can be removed', async () => {
    const { settings: cleared } = (await update({ logo: null })).updateMerchantSettings;
    expect(cleared.logoUrl).toBeNull();
  });
});

describe('emails to the merchant’s customers', () => {
  const received: Record<string, ParsedMail> = {};
  beforeAll(async () => {
    await update({
      displayName: 'Branded Flowers Ltd',
      supportEmail: 'help@branded.example',
      accentColor: '#ffdd00',
      logo: dataUrl('image/png', png(5, 5)),
    });
    const shop = await Shop.open(merchant, t.url, { name: 'Bloom & Stem', email: 'ap@bloomstem.example' });
    await shop.sentInvoice({ number: 'BR-1', lines: [{ description: 'Tulips', quantity: 2, unitAmount: '1250' }] });
    received.invoice = await mail.waitFor((m) => m.subject?.startsWith('Invoice BR-1') === true);
    await t.checkout.request(PayWithLinkDocument, {
      token: tokenOf(payLinkIn(received.invoice)),
      paymentMethodToken: 'pm_card_visa',
      idempotencyKey: 'branding-receipt-1',
    });
    received.receipt = await mail.waitFor((m) => m.subject?.startsWith('Receipt') === true);
    await supervised().request(SendCardSetupLinkDocument, { customerId: shop.customerId });
    received.cardSetup = await mail.waitFor((m) => m.subject?.startsWith('Add a card') === true);
  });

  it.each(['invoice', 'receipt', 'cardSetup'])(
    'reply to the merchant, show its support address, and carry its logo inside the %s email',
    (name) => {
      const email = received[name];
      expect(email.replyTo?.value).toEqual([{ address: 'help@branded.example', name: '' }]);
      expect(email.from?.value[0].address).toBe('billing@kometpay.local');
      expect(email.text).toContain('help@branded.example');
      // mailparser resolves the html's cid: reference to the attachment it names (as a data: URL): the link holds.
      expect(email.html).toContain(`<img src="data:image/png;base64,${png(5, 5).toString('base64')}" alt="Branded Flowers Ltd"`);
      const logo = email.attachments.find((attachment) => attachment.cid === 'merchant-logo@kometpay');
      expect(logo).toMatchObject({ contentType: 'image/png', related: true });
      expect(logo!.content.equals(png(5, 5))).toBe(true);
    },
  );

  it('paint the action button in the accent colour with readable text', () => {
    expect(received.invoice.html).toMatch(/<td align="center" bgcolor="#ffdd00"[^>]*>\s*<a [^>]*color:#000000;[^>]*>Pay invoice<\/a>/);
  });
});
