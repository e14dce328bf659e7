export const templateNames = [
  'invoice',
  'invoice-link-regenerated',
  'payment-receipt',
  'microdeposit-verification',
  'card-setup-link',
  'staff-invitation',
] as const;
export type TemplateName = (typeof templateNames)[number];

/**
 * The merchant's branding, on every email. Absent parts fall back to KometPay's defaults; the accent
 * colour paints the action button, with the text colour (black or white) that keeps WCAG AA contrast on it.
 */
export interface EmailBranding {
  /** `cid:<content id>` of an inline attachment, or an http(s) URL. */
  logoSrc?: string | null;
  /** #rrggbb */
  accentColor?: string | null;
  /** #rrggbb, readable on the accent colour. */
  accentTextColor?: string | null;
}

interface Branded {
  brand?: EmailBranding;
  /** The merchant's support address, shown to its customers (and their emails' Reply-To). */
  supportEmail?: string;
}

/** Integer minor units: a bigint, or its digit string as it arrives from GraphQL or JSON. */
export type MinorUnits = bigint | string;

export interface InvoiceLine {
  description: string;
  quantity: number;
  unitAmount: MinorUnits;
  amount: MinorUnits;
}

export interface InvoiceEmailData extends Branded {
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
}

export interface InvoiceLinkRegeneratedEmailData extends InvoiceEmailData {
  /** expired: the link ran out unpaid; resent: the merchant re-sent the invoice after a failed payment. */
  reason: 'expired' | 'resent';
}

export interface PaymentReceiptEmailData extends Branded {
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

/** A bank payment waiting for the customer to confirm the micro-deposits sent to their account. */
export interface MicrodepositVerificationEmailData extends Branded {
  merchantName: string;
  customerName: string;
  invoiceNumbers: string[];
  amount: MinorUnits;
  currency: string;
  /** e.g. "US bank account •••• 9991". */
  methodLabel: string;
  /** amounts: two small deposits; descriptor_code: one deposit whose description holds a code starting with SM. */
  microdepositType: 'amounts' | 'descriptor_code';
  /** The pay page, where the customer enters what they found. */
  verifyUrl: string;
}

export interface CardSetupLinkEmailData extends Branded {
  merchantName: string;
  customerName: string;
  setupUrl: string;
  /** ISO 8601 timestamp. */
  expiresAt: string;
}

export interface StaffInvitationEmailData {
  merchantName: string;
  staffName: string;
  role: 'STAFF' | 'SUPERVISOR';
  /** The name of the person who sent the invitation; null when an API key or the operator did. */
  invitedBy?: string | null;
  /** The console's set-password page for this invitation. */
  acceptUrl: string;
  /** ISO 8601 timestamp. */
  expiresAt: string;
  brand?: EmailBranding;
}

export interface TemplateData {
  invoice: InvoiceEmailData;
  'invoice-link-regenerated': InvoiceLinkRegeneratedEmailData;
  'payment-receipt': PaymentReceiptEmailData;
  'microdeposit-verification': MicrodepositVerificationEmailData;
  'card-setup-link': CardSetupLinkEmailData;
  'staff-invitation': StaffInvitationEmailData;
}
