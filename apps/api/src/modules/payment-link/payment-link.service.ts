import type { EntityManager } from '@mikro-orm/postgresql';
import { type InvoiceAmounts, type PublicLinkStatus, publicLinkStatus } from '../../domain/invoice-amounts.js';
import { InvoiceStatus, PaymentLinkStatus, paymentLinkStateMachine } from '../../domain/statuses.js';
import { generateSecret, hashToken } from '../../domain/tokens.js';
import { PreparedStatement } from '../../kit/db/prepared-statement.js';
import type { Settings } from '../../kit/settings.js';
import { type AmountColumns, amountsFromRow, type Invoice, invoiceAmountsLateral } from '../invoice/index.js';
import { recordEvent } from '../outbox/index.js';
import { PaymentLink } from './payment-link.entity.js';

export interface IssuedLink {
  link: PaymentLink;
  /** The full URL; it exists only now, since only the token's hash is stored. */
  url: string;
}

export interface PublicLinkLine {
  description: string;
  quantity: number;
  unitAmount: bigint;
}

export interface PublicLinkView {
  linkId: string;
  invoiceId: string;
  merchantId: string;
  status: PublicLinkStatus;
  merchantName: string;
  /** Whether a link newer than this one was issued (and emailed): an expired link's page says so only then. */
  newerLinkSent: boolean;
  invoiceNumber: string;
  currency: string;
  dueDate: string | null;
  lines: PublicLinkLine[];
  amounts: InvoiceAmounts;
  /** Whether the merchant's processor account can take a payment now (the pay page shows no form otherwise). */
  onlinePaymentsAvailable: boolean;
  /** The merchant's account at the processor (Stripe.js is started with it), null before it has one. */
  processorAccount: string | null;
}

interface PublicLinkRow extends AmountColumns {
  link_id: string;
  link_status: PaymentLinkStatus;
  expires_at: Date;
  invoice_id: string;
  merchant_id: string;
  number: string;
  invoice_status: InvoiceStatus;
  currency: string;
  due_date: string | null;
  merchant_name: string;
  newer_link_sent: boolean;
  lines: { description: string; quantity: number; unitAmount: string }[];
  /** Null: the merchant has no processor account yet. */
  account_takes_charges: boolean | null;
  account_reference: string | null;
}

// One statement whether the token exists or not: an unknown token costs the same work.
export const publicLinkSql = `
  select pl.id as link_id, pl.status as link_status, pl.expires_at, i.id as invoice_id, i.merchant_id, i.number,
         i.status as invoice_status, i.currency, to_char(i.due_date, 'YYYY-MM-DD') as due_date, m.name as merchant_name,
         exists (select 1 from payment_link newer where newer.invoice_id = pl.invoice_id and newer.created_at > pl.created_at) as newer_link_sent,
         pa.charges_enabled and pa.status in ('ACTIVE', 'RESTRICTED') as account_takes_charges, pa.reference as account_reference,
         coalesce((select json_agg(json_build_object('description', l.description, 'quantity', l.quantity,
                   'unitAmount', l.unit_amount::text) order by l.position) from invoice_line l where l.invoice_id = i.id), '[]') as lines,
         amounts.*
  from payment_link pl
  join invoice i on i.id = pl.invoice_id
  join merchant m on m.id = pl.merchant_id
  left join processor_account pa on pa.merchant_id = pl.merchant_id
  ${invoiceAmountsLateral}
  where pl.token_hash = ?`;

/** The checkout's hottest read (every page view, every status poll): planned once per connection. */
export const publicLinkView = new PreparedStatement<PublicLinkRow>('kometpay_public_link_view', publicLinkSql);

export class PaymentLinkService {
  constructor(
    private readonly em: EntityManager,
    private readonly settings: Settings,
  ) {}

  /** Creates an invoice's next link, in the caller's transaction. */
  issue(tx: EntityManager, invoice: Invoice, now: Date): IssuedLink {
    const token = generateSecret(32);
    const expiresAt = new Date(now.getTime() + this.settings.paymentLinkTtlDays * 86_400_000);
    const link = tx.create(PaymentLink, { merchant: invoice.merchant, invoice, tokenHash: hashToken(token), expiresAt, createdAt: now });
    recordEvent(
      tx,
      {
        merchantId: invoice.merchant.id,
        aggregateType: 'payment_link',
        aggregateId: link.id,
        type: 'payment_link.created',
        payload: { invoiceId: invoice.id, expiresAt },
      },
      now,
    );
    return { link, url: `${this.settings.checkoutUrl}/pay/${token}` };
  }

  /** Retires the invoice's live link (SUPERSEDED on a resend, EXPIRED by the expiry job). */
  async retireActive(
    tx: EntityManager,
    invoice: Invoice,
    to: PaymentLinkStatus.SUPERSEDED | PaymentLinkStatus.EXPIRED,
    now: Date,
  ): Promise<void> {
    const active = await tx.find(PaymentLink, { invoice, status: PaymentLinkStatus.ACTIVE });
    for (const link of active) {
      paymentLinkStateMachine.assertTransition(link.status, to);
      link.status = to;
      link.closedAt = now;
      recordEvent(
        tx,
        {
          merchantId: invoice.merchant.id,
          aggregateType: 'payment_link',
          aggregateId: link.id,
          type: `payment_link.${to.toLowerCase()}`,
          payload: { invoiceId: invoice.id },
        },
        now,
      );
    }
  }

  /** Whether the invoice has an ACTIVE link that has not expired yet. */
  async hasLiveLink(tx: EntityManager, invoice: Invoice, now: Date): Promise<boolean> {
    return (await tx.count(PaymentLink, { invoice, status: PaymentLinkStatus.ACTIVE, expiresAt: { $gt: now } })) > 0;
  }

  /** The checkout's view of a link, or null for a token we never issued. */
  async findPublic(token: string, now: Date): Promise<PublicLinkView | null> {
    const [row] = await publicLinkView.rows(this.em, [hashToken(token)]);
    if (!row) return null;
    const amounts = amountsFromRow(row);
    return {
      linkId: row.link_id,
      invoiceId: row.invoice_id,
      merchantId: row.merchant_id,
      status: publicLinkStatus({
        invoiceStatus: row.invoice_status,
        storedStatus: row.link_status,
        expiresAt: new Date(row.expires_at),
        amounts,
        now,
      }),
      merchantName: row.merchant_name,
      newerLinkSent: row.newer_link_sent,
      invoiceNumber: row.number,
      currency: row.currency,
      dueDate: row.due_date,
      lines: row.lines.map((line) => ({ ...line, unitAmount: BigInt(line.unitAmount) })),
      amounts,
      // No account yet: the sandbox makes one on first use (ready at once unless it is set to start pending); Stripe needs onboarding.
      onlinePaymentsAvailable:
        row.account_takes_charges ?? (this.settings.paymentProcessor === 'sandbox' && !this.settings.sandboxAccountsStartPending),
      processorAccount: row.account_reference,
    };
  }

  /** Active links past their expiry whose invoices may still need paying: the expiry job's work list. */
  async findExpiredActive(now: Date, limit: number): Promise<PaymentLink[]> {
    return this.em.find(
      PaymentLink,
      { status: PaymentLinkStatus.ACTIVE, expiresAt: { $lte: now } },
      { limit, orderBy: { expiresAt: 'asc' } },
    );
  }
}
