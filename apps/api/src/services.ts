import type { EntityManager } from '@mikro-orm/postgresql';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Settings } from './config.js';
import type { Clock } from './domain/clock.js';
import type { Logger } from './logger.js';
import type { PaymentProcessor } from './processors/processor.port.js';
import type { TokenLookupLimiter } from './modules/checkout/token-lookup-limiter.js';
import { AuditService } from './modules/audit/audit.service.js';
import { PaymentLinkStatusService } from './modules/checkout/payment-link-status.service.js';
import { CustomerService } from './modules/customer/customer.service.js';
import type { RequestMeta } from './modules/merchant/actor.js';
import { ApiKeyService } from './modules/merchant/api-key.service.js';
import { MerchantService } from './modules/merchant/merchant.service.js';
import { SupervisorService } from './modules/merchant/supervisor.service.js';
import { IdempotencyService } from './modules/idempotency/idempotency.service.js';
import { InvoiceService } from './modules/invoice/invoice.service.js';
import type { OutboxFeed } from './modules/outbox/outbox-feed.js';
import { PartnerApiKeyService } from './modules/partner/partner-api-key.service.js';
import { PartnerService } from './modules/partner/partner.service.js';
import { PaymentEventService } from './modules/partner/payment-event.service.js';
import { PaymentLinkService } from './modules/payment-link/payment-link.service.js';
import { PaymentService } from './modules/payment/payment.service.js';
import { TerminalService } from './modules/terminal/terminal.service.js';
import { RefundService } from './modules/refund/refund.service.js';
import { ReportService } from './modules/report/report.service.js';
import { SettlementService } from './modules/settlement/settlement.service.js';
import { TransactionService } from './modules/transaction/transaction.service.js';
import { VaultService } from './modules/vault/vault.service.js';

/** Process-wide collaborators, built once at start. */
export interface AppDeps {
  settings: Settings;
  clock: Clock;
  logger: Logger;
  supervisorAttempts: RateLimiterAbstract;
  processor: PaymentProcessor;
  tokenLookups: TokenLookupLimiter;
  /** This instance's live view of the outbox (subscriptions). */
  outboxFeed: OutboxFeed;
}

/** The services of one unit of work, all sharing one EntityManager fork. Cheap to build per request. */
export function createServices(em: EntityManager, deps: AppDeps, meta: RequestMeta) {
  const audit = new AuditService(em, meta);
  const links = new PaymentLinkService(em, deps.settings);
  const invoices = new InvoiceService(em, deps.clock, links);
  const idempotency = new IdempotencyService(em, deps.clock);
  const partners = new PartnerService(em, deps.clock, audit);
  return {
    audit,
    merchants: new MerchantService(em, audit),
    apiKeys: new ApiKeyService(em, deps.clock, audit),
    supervisor: new SupervisorService(em, deps.clock, audit, deps.supervisorAttempts, {
      tokenTtlSeconds: deps.settings.supervisorTokenTtlSeconds,
    }),
    customers: new CustomerService(em),
    vault: new VaultService(em, deps.clock, deps.settings, deps.processor, audit),
    links,
    invoices,
    idempotency,
    transactions: new TransactionService(em, deps.clock, invoices, idempotency),
    payments: new PaymentService(em, deps.clock, deps.settings, deps.processor, invoices, idempotency),
    terminals: new TerminalService(em, deps.processor),
    refunds: new RefundService(em, deps.clock, deps.processor, invoices, idempotency),
    reports: new ReportService(em),
    settlements: new SettlementService(em, deps.clock, deps.processor),
    partners,
    partnerKeys: new PartnerApiKeyService(em, deps.clock),
    paymentEvents: new PaymentEventService(em, deps.outboxFeed, partners),
    linkStatus: new PaymentLinkStatusService(links, deps.outboxFeed, deps.clock),
  };
}

export type Services = ReturnType<typeof createServices>;
