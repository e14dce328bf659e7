import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../kit/logger.js';
import type { Settings } from '../kit/settings.js';
import { AuditService } from '../modules/audit/index.js';
import { PaymentLinkStatusService, type TokenLookupLimiter } from '../modules/checkout/index.js';
import { CreditMemoService } from '../modules/credit-memo/index.js';
import { CustomerService } from '../modules/customer/index.js';
import { IdempotencyService } from '../modules/idempotency/index.js';
import { InvoiceService } from '../modules/invoice/index.js';
import {
  ApiKeyService,
  MerchantService,
  MerchantSettingsService,
  type PasswordAttemptLimiters,
  type RequestMeta,
  StaffService,
  StaffSessionService,
  SupervisorService,
} from '../modules/merchant/index.js';
import type { OutboxFeed } from '../modules/outbox/index.js';
import { PartnerApiKeyService, PartnerService, type PaymentEventCursors, PaymentEventService } from '../modules/partner/index.js';
import { PaymentLinkService } from '../modules/payment-link/index.js';
import { type Faults, PaymentsService, ReceiptService } from '../modules/payments/index.js';
import { type ProcessorAccountDirectory, ProcessorAccountService } from '../modules/processor-account/index.js';
import { ProcessorEventService } from '../modules/processor-events/index.js';
import { ReportService } from '../modules/report/index.js';
import { SettlementService } from '../modules/settlement/index.js';
import { TerminalService } from '../modules/terminal/index.js';
import { VaultService } from '../modules/vault/index.js';

/** Process-wide collaborators, built once at start. */
export interface AppDeps {
  settings: Settings;
  clock: Clock;
  logger: Logger;
  /** Wrong-password budgets (supervisor password, staff sign-in), shared by every instance. */
  passwordAttempts: PasswordAttemptLimiters;
  /** Each merchant's account at the processor, and the processor bound to it. */
  processors: ProcessorAccountDirectory;
  tokenLookups: TokenLookupLimiter;
  /** This instance's live view of the outbox (subscriptions). */
  outboxFeed: OutboxFeed;
  /** Signs and reads the partners' event cursors (CURSOR_SECRETS). */
  eventCursors: PaymentEventCursors;
  /** Where the payments engine may be made to fail (the crash tests); nowhere in production. */
  faults: Faults;
}

/** The services of one unit of work, all sharing one EntityManager fork. Cheap to build per request. */
export function createServices(em: EntityManager, deps: AppDeps, meta: RequestMeta) {
  const audit = new AuditService(em, meta);
  const links = new PaymentLinkService(em, deps.settings);
  // Payments are made below from the same unit of work: the invoice service reaches them through this port.
  const invoices = new InvoiceService(em, deps.clock, links, {
    cancelOnInvoice: (invoiceId) => payments.cancelAwaitingOnInvoice(invoiceId),
  });
  const idempotency = new IdempotencyService(em, deps.clock);
  const processorAccounts = new ProcessorAccountService(em, deps.clock, deps.processors, audit);
  const partners = new PartnerService(em, deps.clock, audit);
  const payments = new PaymentsService({
    em,
    clock: deps.clock,
    processors: deps.processors,
    fees: deps.settings.fees,
    faults: deps.faults,
    idempotency,
  });
  return {
    audit,
    merchants: new MerchantService(em, audit),
    apiKeys: new ApiKeyService(em, deps.clock, audit),
    supervisor: new SupervisorService(
      em,
      deps.clock,
      audit,
      deps.passwordAttempts,
      { tokenTtlSeconds: deps.settings.supervisorTokenTtlSeconds },
      meta,
    ),
    staff: new StaffService(em, deps.clock, deps.settings, audit),
    staffSessions: new StaffSessionService(em, deps.clock, deps.settings, audit, deps.passwordAttempts, meta),
    merchantSettings: new MerchantSettingsService(em, deps.clock, audit),
    customers: new CustomerService(em, deps.clock, audit),
    vault: new VaultService(em, deps.clock, deps.settings, deps.processors, audit),
    links,
    invoices,
    idempotency,
    payments,
    disputes: payments.disputes,
    terminals: new TerminalService(em, deps.processors),
    creditMemos: new CreditMemoService(em, deps.clock, invoices),
    receipts: new ReceiptService(em, deps.clock),
    reports: new ReportService(em),
    settlements: new SettlementService(em, deps.clock, deps.processors),
    processorAccounts,
    processorEvents: new ProcessorEventService(em, payments, processorAccounts, payments.disputes),
    partners,
    partnerKeys: new PartnerApiKeyService(em, deps.clock),
    paymentEvents: new PaymentEventService(em, deps.outboxFeed, partners, deps.eventCursors),
    linkStatus: new PaymentLinkStatusService(links, deps.outboxFeed, deps.clock),
  };
}

export type Services = ReturnType<typeof createServices>;
