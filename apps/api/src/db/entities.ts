import { AuditLog } from '../modules/audit/audit-log.entity.js';
import { Customer } from '../modules/customer/customer.entity.js';
import { EmailMessage } from '../modules/email/email-message.entity.js';
import { IdempotencyKey } from '../modules/idempotency/idempotency-key.entity.js';
import { Invoice, InvoiceLine } from '../modules/invoice/invoice.entity.js';
import { ApiKey } from '../modules/merchant/api-key.entity.js';
import { Merchant } from '../modules/merchant/merchant.entity.js';
import { RateLimitRow } from '../modules/merchant/rate-limit.entity.js';
import { SupervisorSession } from '../modules/merchant/supervisor-session.entity.js';
import { OutboxEvent } from '../modules/outbox/outbox-event.entity.js';
import { PartnerApiKey } from '../modules/partner/partner-api-key.entity.js';
import { Partner } from '../modules/partner/partner.entity.js';
import { PartnerGrant } from '../modules/partner/partner-grant.entity.js';
import { PaymentLink } from '../modules/payment-link/payment-link.entity.js';
import { Transaction, TransactionAllocation } from '../modules/transaction/transaction.entity.js';
import { VaultedCard } from '../modules/vault/vaulted-card.entity.js';
import { CardSetupLink } from '../modules/vault/card-setup-link.entity.js';
import { CreditMemo } from '../modules/refund/credit-memo.entity.js';
import { ProcessorEventRecord } from '../modules/payment/processor-event.entity.js';
import { ProcessorPayoutRecord } from '../modules/settlement/processor-payout.entity.js';
import { TerminalReader } from '../modules/terminal/terminal-reader.entity.js';
import { SandboxPayment, SandboxPaymentMethod, SandboxReader, SandboxRefund } from '../processors/sandbox/sandbox.entities.js';

export const entities = [
  Merchant,
  ApiKey,
  SupervisorSession,
  Customer,
  Invoice,
  InvoiceLine,
  PaymentLink,
  Transaction,
  TransactionAllocation,
  OutboxEvent,
  IdempotencyKey,
  AuditLog,
  VaultedCard,
  EmailMessage,
  RateLimitRow,
  TerminalReader,
  ProcessorEventRecord,
  ProcessorPayoutRecord,
  SandboxPaymentMethod,
  SandboxPayment,
  SandboxRefund,
  SandboxReader,
  CardSetupLink,
  CreditMemo,
  Partner,
  PartnerApiKey,
  PartnerGrant,
];
