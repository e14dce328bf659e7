import {
  type CardSetupLinkEmailData,
  type InvoiceEmailData,
  type PaymentReceiptEmailData,
  render,
  type StaffInvitationEmailData,
  type TemplateData,
  TemplateDataError,
  templateNames,
} from '@kometpay/email-templates';

const invoice: InvoiceEmailData = {
  merchantName: 'Acme Flowers',
  customerName: 'Blossom Shop',
  invoiceNumber: 'INV-1001',
  currency: 'USD',
  lines: [
    { description: 'Roses, red, 50 cm', quantity: 3, unitAmount: 41152n, amount: 123456n },
    { description: 'Delivery', quantity: 1, unitAmount: '2500', amount: '2500' },
  ],
  total: 125956n,
  amountPaid: 2500n,
  amountDue: 123456n,
  dueDate: '2026-03-05',
  payUrl: 'https://pay.kometpay.test/pay/tok_abc',
  supportEmail: 'billing@acme.test',
};

const receipt: PaymentReceiptEmailData = {
  merchantName: 'Acme Flowers',
  customerName: 'Blossom Shop',
  invoiceNumbers: ['INV-1001', 'INV-1002'],
  amount: 123456n,
  currency: 'USD',
  methodLabel: 'Visa credit •••• 4242',
  authorizationCode: 'A1B2C3',
  paidAt: '2026-03-05T14:03:07.000Z',
  status: 'succeeded',
};

const cardSetup: CardSetupLinkEmailData = {
  merchantName: 'Acme Flowers',
  customerName: 'Blossom Shop',
  setupUrl: 'https://pay.kometpay.test/card/tok_xyz',
  expiresAt: '2026-03-12T09:30:00Z',
};

const invitation: StaffInvitationEmailData = {
  merchantName: 'Acme Flowers',
  staffName: 'Dana Reyes',
  role: 'SUPERVISOR',
  invitedBy: 'Sam Lee',
  acceptUrl: 'https://console.kometpay.test/invitations/tok_inv',
  expiresAt: '2026-03-08T09:30:00Z',
};

const samples: TemplateData = {
  invoice,
  'invoice-link-regenerated': { ...invoice, reason: 'expired' },
  'payment-receipt': receipt,
  'microdeposit-verification': {
    merchantName: 'Acme Flowers',
    customerName: 'Blossom Shop',
    invoiceNumbers: ['INV-1001'],
    amount: 123456n,
    currency: 'USD',
    methodLabel: 'US bank account •••• 9991',
    microdepositType: 'descriptor_code',
    verifyUrl: 'https://pay.kometpay.test/pay/tok_abc',
  },
  'card-setup-link': cardSetup,
  'staff-invitation': invitation,
};

const greeting = (name: string) => (name === 'staff-invitation' ? 'Hello Dana Reyes,' : 'Hello Blossom Shop,');

const lines = (text: string) => text.split('\n');

describe('render', () => {
  it.each(templateNames)('renders %s as a subject, an accessible HTML page and plain text', (name) => {
    const email = render(name, samples[name]);
    expect(email.subject).toMatch(/\S/);
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.html).toMatch(/^<!DOCTYPE html>\n<html lang="en"/);
    expect(email.html).toContain(`<title>${email.subject}</title>`);
    expect(email.html).toContain('max-width:600px');
    expect(email.html).toMatch(/<div style="display:none;[^"]*">[^<]+<\/div>/); // preheader
    expect(email.html).not.toContain('<img');
    expect(email.text).toContain(greeting(name));
    expect(email.text).not.toMatch(/<[a-z]/i);
    expect(email.text.endsWith('\n')).toBe(true);
  });

  it('exports the template names', () => {
    expect(templateNames).toEqual([
      'invoice',
      'invoice-link-regenerated',
      'payment-receipt',
      'microdeposit-verification',
      'card-setup-link',
      'staff-invitation',
    ]);
  });

  describe('invoice', () => {
    it('puts the amount due in the subject', () => {
      expect(render('invoice', invoice).subject).toBe('Invoice INV-1001 from Acme Flowers: $1,234.56 due');
    });

    it('embeds a Pay invoice button and the plain link in the HTML', () => {
      const { html } = render('invoice', invoice);
      expect(html).toMatch(
        /<td align="center" bgcolor="#1d4ed8"[^>]*>\s*<a href="https:\/\/pay\.kometpay\.test\/pay\/tok_abc"[^>]*>Pay invoice<\/a>/,
      );
      expect(html).toContain('>https://pay.kometpay.test/pay/tok_abc</a>');
    });

    it('shows the lines under a header row with right-aligned amounts and the totals', () => {
      const { html } = render('invoice', invoice);
      expect(html).toMatch(/<th scope="col" align="left"[^>]*>Description<\/th>/);
      expect(html).toMatch(/<th scope="col" align="right"[^>]*>Amount<\/th>/);
      expect(html).toMatch(/<td align="right"[^>]*>\$411\.52<\/td>\s*<td align="right"[^>]*>\$1,234\.56<\/td>/);
      expect(html).toMatch(/>Total<\/th>\s*<td align="right"[^>]*>\$1,259\.56<\/td>/);
      expect(html).toMatch(/>Paid<\/th>\s*<td align="right"[^>]*>\$25\.00<\/td>/);
      expect(html).toMatch(/>Amount due<\/th>\s*<td align="right"[^>]*>\$1,234\.56<\/td>/);
      expect(html).not.toContain('Credited');
    });

    it('has the pay URL on its own line in the text, and the lines and totals', () => {
      const { text } = render('invoice', invoice);
      expect(lines(text)).toContain('https://pay.kometpay.test/pay/tok_abc');
      expect(lines(text)).toEqual(
        expect.arrayContaining([
          'Amount due: $1,234.56',
          'Due date: March 5, 2026',
          '- Roses, red, 50 cm: 3 x $411.52 = $1,234.56',
          '- Delivery: 1 x $25.00 = $25.00',
          'Total: $1,259.56',
          'Paid: $25.00',
          'Questions about this invoice? Contact Acme Flowers at billing@acme.test.',
        ]),
      );
    });

    it('shows credits when given and leaves out what is absent', () => {
      const { html, text } = render('invoice', { ...invoice, amountCredited: 1000n, dueDate: null, supportEmail: undefined });
      expect(html).toMatch(/>Credited<\/th>\s*<td align="right"[^>]*>\$10\.00<\/td>/);
      expect(lines(text)).toContain('Credited: $10.00');
      expect(text).not.toContain('Due date');
      expect(text).not.toContain('Questions');
      expect(html).not.toContain('mailto:');
    });
  });

  describe('amounts', () => {
    it('formats currencies with their own minor units', () => {
      const yen = render('invoice', {
        ...invoice,
        currency: 'JPY',
        lines: [{ description: 'Orchids', quantity: 2, unitAmount: 2500n, amount: 5000n }],
        total: 5000n,
        amountPaid: 0n,
        amountDue: 5000n,
      });
      expect(yen.subject).toBe('Invoice INV-1001 from Acme Flowers: ¥5,000 due');
      expect(lines(yen.text)).toContain('- Orchids: 2 x ¥2,500 = ¥5,000');
      expect(render('payment-receipt', { ...receipt, currency: 'KWD', amount: '1234567' }).text).toContain('Amount: KWD\u00a01,234.567');
    });

    it('formats amounts beyond 2^53 exactly', () => {
      const big = 9_007_199_254_740_993n;
      const { text } = render('invoice', {
        ...invoice,
        lines: [{ description: 'Bulk', quantity: 1, unitAmount: big, amount: big }],
        total: big,
        amountPaid: 0n,
        amountDue: big,
      });
      expect(lines(text)).toContain('Total: $90,071,992,547,409.93');
    });
  });

  describe('escaping', () => {
    const merchantName = '<script>alert(1)</script> & Co';

    it('escapes data in the HTML and keeps it literal in the text and subject', () => {
      for (const name of templateNames) {
        const email = render(name, { ...samples[name], merchantName });
        expect(email.html).not.toContain('<script>');
        expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co');
        expect(email.text).toContain(merchantName);
        expect(email.text).not.toContain('&amp;');
        expect(email.subject).toContain(merchantName);
      }
    });

    it('keeps a newline in the data out of the subject', () => {
      const { subject } = render('card-setup-link', { ...cardSetup, merchantName: 'Acme\r\nBcc: victim@example.com' });
      expect(subject).toBe('Add a card to your account with Acme Bcc: victim@example.com');
    });

    it('escapes an attribute breakout in a URL', () => {
      const { html } = render('invoice', { ...invoice, payUrl: 'https://pay.kometpay.test/pay/"onmouseover="x' });
      expect(html).not.toContain('"onmouseover="');
    });
  });

  describe('invoice-link-regenerated', () => {
    it('says why the link was replaced, and that the old one no longer works', () => {
      const expired = render('invoice-link-regenerated', { ...invoice, reason: 'expired' });
      const resent = render('invoice-link-regenerated', { ...invoice, reason: 'resent' });
      expect(expired.subject).toBe('New payment link for invoice INV-1001 from Acme Flowers');
      expect(expired.text).toContain('The payment link for invoice INV-1001 from Acme Flowers has expired.');
      expect(resent.text).toContain('Acme Flowers has sent invoice INV-1001 again with a new payment link.');
      for (const { html, text } of [expired, resent]) {
        expect(text).toContain('the previous link no longer works');
        expect(lines(text)).toContain(invoice.payUrl);
        expect(html).toContain('>Pay invoice</a>');
      }
    });
  });

  describe('payment-receipt', () => {
    it('confirms a card payment with its details and a UTC date', () => {
      const { subject, text, html } = render('payment-receipt', receipt);
      expect(subject).toBe('Receipt: $1,234.56 paid to Acme Flowers');
      expect(lines(text)).toEqual(
        expect.arrayContaining([
          'Acme Flowers received your payment of $1,234.56. Thank you.',
          'Invoices: INV-1001, INV-1002',
          'Payment method: Visa credit •••• 4242',
          'Authorization code: A1B2C3',
          'Paid on: March 5, 2026 at 2:03 PM UTC',
        ]),
      );
      expect(html).toContain('Payment received</h1>');
    });

    it('says a bank payment is processing and will be confirmed when it settles', () => {
      const { subject, text } = render('payment-receipt', {
        ...receipt,
        status: 'processing',
        methodLabel: 'US bank account •••• 6789',
        invoiceNumbers: ['INV-7'],
      });
      expect(subject).toBe('Payment processing: $1,234.56 to Acme Flowers');
      expect(text).toContain('Your bank payment of $1,234.56 to Acme Flowers is processing.');
      expect(text).toContain('we will email you when it settles');
      expect(lines(text)).toEqual(expect.arrayContaining(['Invoice: INV-7', 'Submitted on: March 5, 2026 at 2:03 PM UTC']));
    });

    it('leaves out the invoices of a payment tied to none', () => {
      const { text, html } = render('payment-receipt', { ...receipt, invoiceNumbers: [] });
      expect(text).not.toContain('Invoice');
      expect(html).not.toMatch(/>Invoices?<\/th>/);
    });
  });

  describe('card-setup-link', () => {
    it('invites the customer to save a card before the link expires', () => {
      const { subject, html, text } = render('card-setup-link', cardSetup);
      expect(subject).toBe('Add a card to your account with Acme Flowers');
      expect(html).toMatch(/<a href="https:\/\/pay\.kometpay\.test\/card\/tok_xyz"[^>]*>Save card<\/a>/);
      expect(lines(text)).toContain('https://pay.kometpay.test/card/tok_xyz');
      expect(text).toContain('This link expires on March 12, 2026 at 9:30 AM UTC.');
    });
  });

  describe('staff-invitation', () => {
    it('invites a person to set a password on the console, once, before the link expires', () => {
      const { subject, html, text } = render('staff-invitation', invitation);
      expect(subject).toBe('Your invitation to the Acme Flowers payments console');
      expect(html).toMatch(/<a href="https:\/\/console\.kometpay\.test\/invitations\/tok_inv"[^>]*>Set your password<\/a>/);
      expect(lines(text)).toContain('https://console.kometpay.test/invitations/tok_inv');
      expect(text).toContain("Sam Lee has invited you to Acme Flowers's payments console as a supervisor.");
      expect(text).toContain('This link works once and expires on March 8, 2026 at 9:30 AM UTC.');
      expect(render('staff-invitation', { ...invitation, role: 'STAFF', invitedBy: null }).text).toContain(
        "You have been invited to Acme Flowers's payments console as a member of staff.",
      );
    });
  });

  describe('branding', () => {
    const brand = { logoSrc: 'cid:logo-0123abcd@kometpay', accentColor: '#FFD400', accentTextColor: '#000000' };

    it.each(templateNames)('puts the merchant logo at the top of %s and paints its button (if any) in the accent colour', (name) => {
      const { html } = render(name, { ...samples[name], brand } as never);
      expect(html).toMatch(/<img src="cid:logo-0123abcd@kometpay" alt="Acme Flowers" height="48"/);
      if (name !== 'payment-receipt') expect(html).toMatch(/<td align="center" bgcolor="#ffd400"[^>]*>\s*<a [^>]*color:#000000;/);
      expect(html).not.toContain('#1d4ed8;border-radius:6px');
    });

    it('uses KometPay blue with white text without an accent colour, and takes a logo by URL', () => {
      const { html } = render('invoice', { ...invoice, brand: { logoSrc: 'https://api.kometpay.test/branding/m/logo-ab.png' } });
      expect(html).toContain('<img src="https://api.kometpay.test/branding/m/logo-ab.png"');
      expect(html).toMatch(/<td align="center" bgcolor="#1d4ed8"[^>]*>\s*<a [^>]*color:#ffffff;/);
    });

    it('refuses a colour or logo source that could break out of its attribute', () => {
      expect(() => render('invoice', { ...invoice, brand: { accentColor: 'red;background:url(x)' } })).toThrow(
        'invoice.brand.accentColor must be a #rrggbb colour',
      );
      expect(() => render('invoice', { ...invoice, brand: { logoSrc: 'javascript:alert(1)' } })).toThrow(
        'invoice.brand.logoSrc must be an http(s) URL',
      );
      expect(() => render('invoice', { ...invoice, brand: { logoSrc: 'cid:a"onerror="x' } })).toThrow(TemplateDataError);
    });

    it('gives every customer email the support address, and none to staff', () => {
      expect(lines(render('payment-receipt', { ...receipt, supportEmail: 'help@acme.test' }).text)).toContain(
        'Questions? Reply to this email or write to Acme Flowers at help@acme.test.',
      );
      expect(render('card-setup-link', { ...cardSetup, supportEmail: 'help@acme.test' }).html).toContain('href="mailto:help@acme.test"');
      expect(render('payment-receipt', receipt).text).not.toContain('Questions?');
    });
  });

  describe('validation', () => {
    const renderUnchecked = (name: string, data: unknown) => () => render(name as 'invoice', data as InvoiceEmailData);

    it.each(['javascript:alert(1)', ' javascript:alert(1)', 'data:text/html,hi', 'pay.kometpay.test/pay/x', 'mailto:a@b.test'])(
      'refuses %j as a link',
      (url) => {
        expect(() => render('invoice', { ...invoice, payUrl: url })).toThrow(
          new TemplateDataError('invoice.payUrl must be an http(s) URL'),
        );
        expect(() => render('card-setup-link', { ...cardSetup, setupUrl: url })).toThrow(TemplateDataError);
      },
    );

    it('names the missing or malformed field', () => {
      const { payUrl: _, ...withoutPayUrl } = invoice;
      expect(renderUnchecked('invoice', withoutPayUrl)).toThrow('invoice.payUrl must be a non-empty string, got undefined');
      expect(() => render('invoice', { ...invoice, currency: 'XYZ' })).toThrow('invoice.currency: unknown currency "XYZ"');
      expect(() => render('invoice', { ...invoice, total: '12.50' })).toThrow('invoice.total must be integer minor units');
      expect(renderUnchecked('invoice', { ...invoice, amountDue: 1234 })).toThrow('invoice.amountDue must be integer minor units');
      expect(() => render('invoice', { ...invoice, lines: [] })).toThrow('invoice.lines must be a non-empty array');
      expect(renderUnchecked('invoice', { ...invoice, lines: [{ ...invoice.lines[0], description: '' }] })).toThrow(
        'invoice.lines[0].description must be a non-empty string',
      );
      expect(() => render('invoice', { ...invoice, dueDate: '2026-02-30' })).toThrow('invoice.dueDate must be a YYYY-MM-DD date');
      expect(() => render('invoice', { ...invoice, supportEmail: 'a@b.test?cc=x@y.test' })).toThrow(
        'invoice.supportEmail must be an email address',
      );
      expect(renderUnchecked('invoice-link-regenerated', invoice)).toThrow(
        'invoice-link-regenerated.reason must be one of "expired", "resent"',
      );
      expect(() => render('payment-receipt', { ...receipt, paidAt: 'yesterday' })).toThrow(
        'payment-receipt.paidAt must be an ISO 8601 timestamp',
      );
      expect(renderUnchecked('card-setup-link', null)).toThrow('card-setup-link must be an object, got null');
    });

    it('refuses an unknown template', () => {
      expect(renderUnchecked('newsletter', invoice)).toThrow('Unknown email template "newsletter"');
    });
  });
});
