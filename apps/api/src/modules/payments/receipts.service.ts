import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../domain/clock.js';
import { PaymentMethodKind, TransactionStatus } from '../../domain/statuses.js';
import { EmailMessage, queueEmail } from '../email/index.js';

/** A UUID that is always the same for the same name: one receipt per transaction and status, however often its job runs. */
function stableUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function describeMethod(method: PaymentMethodKind, brand: string | null, last4: string | null): string {
  if (method === PaymentMethodKind.ACH) return `US bank account •••• ${last4 ?? ''}`.trim();
  const funding = method === PaymentMethodKind.DEBIT_CARD ? 'debit' : method === PaymentMethodKind.PREPAID_CARD ? 'prepaid' : 'credit';
  const name = brand ? brand[0].toUpperCase() + brand.slice(1) : 'Card';
  return `${name} ${funding} •••• ${last4 ?? ''}`.trim();
}

interface ReceiptRow {
  merchant_id: string;
  merchant_name: string;
  customer_name: string;
  customer_email: string;
  amount: string;
  currency: string;
  method: PaymentMethodKind;
  card_brand: string | null;
  card_last4: string | null;
  authorization_code: string | null;
  updated_at: Date;
  invoice_numbers: string[] | null;
}

/**
 * The customer's receipt for a charge that succeeded, or (ACH) that is on its way. The payments
 * engine queues a job with the outcome that calls for one; the email is rendered here, off the
 * payment's own path, once per transaction and status.
 */
export class ReceiptService {
  constructor(
    private readonly em: EntityManager,
    private readonly clock: Clock,
  ) {}

  async send(transactionId: string, status: TransactionStatus.SUCCEEDED | TransactionStatus.PROCESSING): Promise<void> {
    const id = stableUuid(`receipt:${transactionId}:${status}`);
    await this.em.fork().transactional(async (tx) => {
      if (await tx.count(EmailMessage, { id })) return;
      const [row] = await tx.execute<ReceiptRow[]>(
        `select t.merchant_id, m.name as merchant_name, c.name as customer_name, c.email as customer_email, t.amount::text as amount, t.currency,
                t.method, t.card_brand, t.card_last4, t.authorization_code, t.updated_at,
                (select array_agg(i.number order by i.number) from transaction_allocation a join invoice i on i.id = a.invoice_id
                 where a.transaction_id = t.id) as invoice_numbers
         from "transaction" t join customer c on c.id = t.customer_id join merchant m on m.id = t.merchant_id
         where t.id = ?`,
        [transactionId],
      );
      if (!row) return;
      await queueEmail(
        tx,
        {
          id,
          merchantId: row.merchant_id,
          to: row.customer_email,
          template: 'payment-receipt',
          data: {
            merchantName: row.merchant_name,
            customerName: row.customer_name,
            invoiceNumbers: row.invoice_numbers ?? [],
            amount: BigInt(row.amount),
            currency: row.currency.trim(),
            methodLabel: describeMethod(row.method, row.card_brand, row.card_last4),
            authorizationCode: row.authorization_code ?? 'pending',
            paidAt: new Date(row.updated_at).toISOString(),
            status: status === TransactionStatus.PROCESSING ? 'processing' : 'succeeded',
          },
          related: { type: 'transaction', id: transactionId },
        },
        this.clock.now(),
      );
    });
  }

  /**
   * A bank debit from the pay page that waits for its micro-deposits: the customer is told what to
   * look for on their statement and where to enter it (the same pay link). Once per transaction.
   */
  async sendMicrodepositInstructions(transactionId: string, verifyUrl: string): Promise<void> {
    const id = stableUuid(`microdeposits:${transactionId}`);
    await this.em.fork().transactional(async (tx) => {
      if (await tx.count(EmailMessage, { id })) return;
      const [row] = await tx.execute<(ReceiptRow & { next_action: { microdepositType?: string } | null })[]>(
        `select t.merchant_id, m.name as merchant_name, c.name as customer_name, c.email as customer_email, t.amount::text as amount, t.currency,
                t.method, t.card_brand, t.card_last4, t.next_action,
                (select array_agg(i.number order by i.number) from transaction_allocation a join invoice i on i.id = a.invoice_id
                 where a.transaction_id = t.id) as invoice_numbers
         from "transaction" t join customer c on c.id = t.customer_id join merchant m on m.id = t.merchant_id
         where t.id = ? and t.status = 'REQUIRES_ACTION'`,
        [transactionId],
      );
      if (!row) return;
      await queueEmail(
        tx,
        {
          id,
          merchantId: row.merchant_id,
          to: row.customer_email,
          template: 'microdeposit-verification',
          data: {
            merchantName: row.merchant_name,
            customerName: row.customer_name,
            invoiceNumbers: row.invoice_numbers ?? [],
            amount: BigInt(row.amount),
            currency: row.currency.trim(),
            methodLabel: describeMethod(PaymentMethodKind.ACH, null, row.card_last4),
            microdepositType: row.next_action?.microdepositType === 'AMOUNTS' ? 'amounts' : 'descriptor_code',
            verifyUrl,
          },
          related: { type: 'transaction', id: transactionId },
        },
        this.clock.now(),
      );
    });
  }
}
