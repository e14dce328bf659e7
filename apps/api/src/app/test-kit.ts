/**
 * The API as the end-to-end tests and the benchmarks see it: how to start it, its database and its
 * onboarding services, and the tables and rules they check. Tests import from here only (dependency-cruiser
 * checks it), so that the API's inner files can move without touching them.
 */
import 'reflect-metadata';

// Starting the API and its database
export { AdjustableClock, type Clock, systemClock } from '../domain/clock.js';
export { CursorSigner } from '../domain/cursor-signer.js';
// What the benchmarks' baselines (hand-written servers the API is measured against) reuse of its SQL
export { publicLinkStatus } from '../domain/invoice-amounts.js';
// What tests inspect in the database, and the rules they check it against
export { TransactionStatus, transactionStateMachine } from '../domain/statuses.js';
export { hashToken } from '../domain/tokens.js';
export { startEmbeddedPostgres } from '../kit/db/embedded-postgres.js';
export { lockRow } from '../kit/db/locking.js';
export { installJobQueue } from '../kit/jobs/queue.js';
export { createLogger } from '../kit/logger.js';
export { loadSettings, type Settings, settingSpecs, settingsTable } from '../kit/settings.js';
// Onboarding, as the operator CLI does it
export { AuditLog, AuditService } from '../modules/audit/index.js';
export { Customer } from '../modules/customer/index.js';
export { EmailMessage } from '../modules/email/index.js';
export { amountsFromRow, Invoice, invoiceAmountsLateral } from '../modules/invoice/index.js';
export { ApiKeyService, MerchantService, StaffRole, StaffService, SupervisorSession } from '../modules/merchant/index.js';
export { CATCH_UP_PAGE, OUTBOX_WRITER_LOCK, OutboxEvent, OutboxFeed } from '../modules/outbox/index.js';
export { PartnerApiKeyService, PartnerService, PaymentEventCursors } from '../modules/partner/index.js';
export { PaymentLink, PaymentLinkService, publicLinkSql, publicLinkView } from '../modules/payment-link/index.js';
export { Transaction, TransactionAllocation } from '../modules/payments/index.js';
export { SettlementService } from '../modules/settlement/index.js';
export { CardSetupLink, VaultedCard } from '../modules/vault/index.js';
export { SandboxDispute, SandboxPayment, SandboxRefund } from '../processors/sandbox/sandbox.entities.js';
export type { SandboxPlatform } from '../processors/sandbox/sandbox.platform.js';
export type { SandboxProcessor } from '../processors/sandbox/sandbox.processor.js';
export { assertMigrated, migrateUnderLock, pendingMigrations } from './db/migrate.js';
export { createOrm, migrate, type Orm } from './db/orm.js';
export { cursorSecretsFor } from './http/cursor-secrets.js';
export { type ApiOptions, type RunningApi, startApi } from './http/server.js';
export { buildCheckoutSchema, buildMerchantSchema, printSdl } from './schema.js';
export { createServices } from './services.js';
