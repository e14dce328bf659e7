export const templateNames = ['invoice', 'invoice-link-regenerated', 'payment-receipt', 'card-setup-link'] as const;
export type TemplateName = (typeof templateNames)[number];

/** Integer minor units: a bigint, or its digit string as it arrives from GraphQL or JSON. */
export type MinorUnits = bigint | string;

export interface InvoiceLine {
  description: string;
  quantity: number;
  unitAmount: MinorUnits;
  amount: MinorUnits;
}

export interface InvoiceEmailData {
  merchantName: string;
  customerName: string;
  invoiceNumber: string;
  currency: string;
  lines: InvoiceLine[];
  total: MinorUnits;
  amountPaid: MinorUnits;
  /** Credit memos issued on the invoice; without it, total - paid would not explain the amount due. */
  amountCredited?: MinorUnits;
  amountDue: MinorUnits;
  /** YYYY-MM-DD, or null when the invoice has no due date. */
  dueDate: string | null;
  payUrl: string;
  supportEmail?: string;
}

export interface InvoiceLinkRegeneratedEmailData extends InvoiceEmailData {
  /** expired: the link ran out unpaid; resent: the merchant re-sent the invoice after a failed payment. */
  reason: 'expired' | 'resent';
}

export interface PaymentReceiptEmailData {
  merchantName: string;
  customerName: string;
  /** Empty for a payment tied to no invoice. */
  invoiceNumbers: string[];
  amount: MinorUnits;
  currency: string;
  /** e.g. "Visa credit •••• 4242", "US bank account •••• 6789". */
  methodLabel: string;
  authorizationCode: string;
  /** ISO 8601 timestamp. */
  paidAt: string;
  /** processing: an ACH payment not yet settled. */
  status: 'succeeded' | 'processing';
}

export interface CardSetupLinkEmailData {
  merchantName: string;
  customerName: string;
  setupUrl: string;
  /** ISO 8601 timestamp. */
  expiresAt: string;
}

export interface TemplateData {
  invoice: InvoiceEmailData;
  'invoice-link-regenerated': InvoiceLinkRegeneratedEmailData;
  'payment-receipt': PaymentReceiptEmailData;
  'card-setup-link': CardSetupLinkEmailData;
}
