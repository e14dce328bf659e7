import { randomUUID } from 'node:crypto';
import { PaymentLinkWithDetailDocument } from '@kometpay/schema/checkout';
import {
  type CreateInvoiceInput,
  CreateInvoiceWithDetailDocument,
  InvoiceWithDetailDocument,
  type PaymentMethodKind,
  RecordOfflinePaymentWithDetailDocument,
  SendInvoiceWithDetailDocument,
} from '@kometpay/schema/merchant';
import { startTestApi, type TestApi, type TestMerchant } from '../support/api.js';
import { openShop, type Shop } from '../support/shop.js';
import { payLinkIn, startSmtpServer, type TestMailbox, tokenOf } from '../support/smtp.js';

/** The two lines of the invoices these tests draft: $250.00 of roses and $89.90 of eucalyptus, $339.90 in all. */
export const LINES = [
  { description: 'Red roses, 50 stems', quantity: 4, unitAmount: '6250' },
  { description: 'Eucalyptus bunch', quantity: 10, unitAmount: '899' },
];

/**
 * A merchant (Acme Flowers) and its customer on an API that emails over a real SMTP server, with
 * the invoice calls these tests make, each answering the whole invoice (InvoiceDetail).
 */
export class InvoiceDesk {
  private invoiceCounter = 0;

  private constructor(
    readonly t: TestApi,
    readonly mail: TestMailbox,
    readonly shop: Shop,
    readonly customerEmail: string,
  ) {}

  static async open(): Promise<InvoiceDesk> {
    const mail = await startSmtpServer();
    const t = await startTestApi({ SMTP_URL: mail.url, CHECKOUT_URL: 'https://pay.example.test' });
    const customerEmail = `ap-${randomUUID()}@bloom.example`;
    const shop = await openShop(t, 'Acme Flowers', { name: 'Bloom & Stem', email: customerEmail });
    return new InvoiceDesk(t, mail, shop, customerEmail);
  }

  get merchant(): TestMerchant {
    return this.shop.merchant;
  }

  get customerId(): string {
    return this.shop.customerId;
  }

  /** A DRAFT invoice of $339.90 in two lines (due 2026-12-31), as createInvoice answers it. */
  async createInvoice(overrides: Partial<CreateInvoiceInput> = {}) {
    const input = {
      customerId: this.customerId,
      number: `INV-${++this.invoiceCounter}-${randomUUID().slice(0, 6)}`,
      currency: 'USD',
      dueDate: '2026-12-31',
      lines: LINES,
      ...overrides,
    };
    return (await this.merchant.client().request(CreateInvoiceWithDetailDocument, { input })).createInvoice;
  }

  /** Sends the invoice and takes its link's token from the email received over SMTP. */
  async sendAndReceive(invoiceId: string) {
    const invoice = (await this.merchant.client().request(SendInvoiceWithDetailDocument, { id: invoiceId })).sendInvoice;
    const email = await this.mail.waitFor((m) => m.subject?.includes(invoice.number) === true && payLinkIn(m) === invoice.paymentLink?.url);
    return { invoice, token: tokenOf(payLinkIn(email)) };
  }

  async readInvoice(id: string, owner = this.merchant) {
    return (await owner.client().request(InvoiceWithDetailDocument, { id })).invoice;
  }

  /** The pay page's view of a link, from the checkout schema (null for an unknown token). */
  async publicLink(token: string) {
    return (await this.t.checkout.request(PaymentLinkWithDetailDocument, { token })).paymentLink;
  }

  /** A check (or cash...) payment recorded by the merchant, reference CHK-1001. */
  offline(invoiceId: string, amount: string, key = randomUUID(), method: PaymentMethodKind = 'CHECK') {
    return this.merchant
      .client()
      .request(RecordOfflinePaymentWithDetailDocument, { invoiceId, amount, method, reference: 'CHK-1001', idempotencyKey: key });
  }

  async close(): Promise<void> {
    await this.t.close();
    await this.mail.close();
  }
}
