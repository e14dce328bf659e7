import { AuditLog } from '../../modules/audit/index.js';
import { CreditMemo } from '../../modules/credit-memo/index.js';
import { Customer } from '../../modules/customer/index.js';
import { EmailMessage } from '../../modules/email/index.js';
import { IdempotencyKey } from '../../modules/idempotency/index.js';
import { Invoice, InvoiceLine } from '../../modules/invoice/index.js';
import {
  ApiKey,
  Merchant,
  MerchantLogo,
  RateLimitRow,
  StaffMember,
  StaffSession,
  SupervisorSession,
} from '../../modules/merchant/index.js';
import { OutboxEvent } from '../../modules/outbox/index.js';
import { Partner, PartnerApiKey, PartnerGrant } from '../../modules/partner/index.js';
import { PaymentLink } from '../../modules/payment-link/index.js';
import { Dispute, ProcessorEventRecord, Transaction, TransactionAllocation } from '../../modules/payments/index.js';
import { ProcessorAccount } from '../../modules/processor-account/index.js';
import { ProcessorPayoutRecord } from '../../modules/settlement/index.js';
import { TerminalReader } from '../../modules/terminal/index.js';
import { CardSetupLink, VaultedCard } from '../../modules/vault/index.js';
import {
  SandboxAccount,
  SandboxDispute,
  SandboxPayment,
  SandboxPaymentMethod,
  SandboxReader,
  SandboxRefund,
} from '../../processors/sandbox/sandbox.entities.js';

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
  Dispute,
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
  SandboxDispute,
  CardSetupLink,
  CreditMemo,
  Partner,
  PartnerApiKey,
  PartnerGrant,
  MerchantLogo,
  StaffMember,
  StaffSession,
  ProcessorAccount,
  SandboxAccount,
];
