/**
 * The operator CLI: onboarding without SQL. Works against DATABASE_URL, or the embedded database.
 *   npm run kometpay -- merchant create --name "Acme Flowers" --supervisor-password '...' [--json]
 *   npm run kometpay -- merchant list [--json]
 *   npm run kometpay -- merchant api-key create --merchant <id> [--label <label>] [--json]
 *   npm run kometpay -- merchant api-key revoke --merchant <id> --prefix <kp_...> [--json]
 *   npm run kometpay -- partner create --name "Ledgerly" [--json]
 *   npm run kometpay -- partner list [--json]
 *   npm run kometpay -- partner api-key create --partner <id> [--label <label>] [--json]
 *   npm run kometpay -- partner api-key revoke --partner <id> --prefix <kpp_...> [--json]
 */
import 'reflect-metadata';
import { Command } from 'commander';
import { openDatabase, type Database } from '../bootstrap.js';
import { loadSettings } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { DomainError } from '../domain/errors.js';
import { createLogger } from '../logger.js';
import { AuditService } from '../modules/audit/audit.service.js';
import { ApiKeyService } from '../modules/merchant/api-key.service.js';
import { Merchant } from '../modules/merchant/merchant.entity.js';
import { MerchantService } from '../modules/merchant/merchant.service.js';
import { PartnerApiKeyService } from '../modules/partner/partner-api-key.service.js';
import { PartnerService } from '../modules/partner/partner.service.js';

const settings = loadSettings();
const logger = createLogger(process.env.LOG_LEVEL || 'warn');

interface Output {
  json?: boolean;
}

function print(result: Record<string, unknown>, options: Output, human: string): void {
  console.log(options.json ? JSON.stringify(result, null, 2) : human);
}

interface CliServices {
  merchants: MerchantService;
  apiKeys: ApiKeyService;
  partners: PartnerService;
  partnerKeys: PartnerApiKeyService;
  db: Database;
}

async function withServices<T>(work: (services: CliServices) => Promise<T>): Promise<T> {
  const db = await openDatabase(settings, logger);
  try {
    const em = db.orm.em.fork();
    const audit = new AuditService(em, { requestId: 'cli' });
    return await work({
      merchants: new MerchantService(em, audit),
      apiKeys: new ApiKeyService(em, systemClock, audit),
      partners: new PartnerService(em, systemClock, audit),
      partnerKeys: new PartnerApiKeyService(em, systemClock),
      db,
    });
  } finally {
    await db.close();
  }
}

const program = new Command('kometpay').description('KometPay operator CLI').showHelpAfterError();
const merchant = program.command('merchant').description('merchants and their API keys');

merchant
  .command('create')
  .description('create a merchant with its supervisor password')
  .requiredOption('--name <name>', 'display name, shown on invoices and the checkout')
  .requiredOption('--supervisor-password <password>', 'guards the card vault (min. 8 characters); stored as an argon2 hash')
  .option('--json', 'print the result as JSON')
  .action((options: Output & { name: string; supervisorPassword: string }) =>
    withServices(async ({ merchants }) => {
      const created = await merchants.create({ name: options.name, supervisorPassword: options.supervisorPassword });
      print({ id: created.id, name: created.name, createdAt: created.createdAt.toISOString() }, options, `Created merchant ${created.name} (${created.id})\nNext: npm run kometpay -- merchant api-key create --merchant ${created.id}`);
    }),
  );

merchant
  .command('list')
  .description('list merchants')
  .option('--json', 'print the result as JSON')
  .action((options: Output) =>
    withServices(async ({ db }) => {
      const all = await db.orm.em.fork().find(Merchant, {}, { orderBy: { createdAt: 'asc' } });
      const rows = all.map((m) => ({ id: m.id, name: m.name, createdAt: m.createdAt.toISOString() }));
      print({ merchants: rows }, options, rows.map((m) => `${m.id}  ${m.name}`).join('\n') || '(no merchants)');
    }),
  );

const apiKey = merchant.command('api-key').description("a merchant's API keys");

apiKey
  .command('create')
  .description('issue an API key; the key is shown once, only its hash is stored')
  .requiredOption('--merchant <id>', 'merchant id')
  .option('--label <label>', 'what the key is for', 'default')
  .option('--json', 'print the result as JSON')
  .action((options: Output & { merchant: string; label: string }) =>
    withServices(async ({ apiKeys }) => {
      const { apiKey: issued, key } = await apiKeys.issue(options.merchant, options.label);
      print({ id: issued.id, merchantId: options.merchant, prefix: issued.prefix, label: issued.label, key }, options, `API key for merchant ${options.merchant} (shown once, keep it safe):\n${key}`);
    }),
  );

apiKey
  .command('revoke')
  .description('revoke an API key by its prefix')
  .requiredOption('--merchant <id>', 'merchant id')
  .requiredOption('--prefix <prefix>', 'the key prefix, e.g. kp_AbCdEf12')
  .option('--json', 'print the result as JSON')
  .action((options: Output & { merchant: string; prefix: string }) =>
    withServices(async ({ apiKeys }) => {
      const revoked = await apiKeys.revoke(options.merchant, options.prefix);
      print({ id: revoked.id, prefix: revoked.prefix, revokedAt: revoked.revokedAt?.toISOString() }, options, `Revoked ${revoked.prefix}`);
    }),
  );

const partner = program.command('partner').description('partners (they follow the payments of merchants that grant them access) and their API keys');

partner
  .command('create')
  .description('create a partner; merchants then grant it access with grantPartnerAccess')
  .requiredOption('--name <name>', 'display name')
  .option('--json', 'print the result as JSON')
  .action((options: Output & { name: string }) =>
    withServices(async ({ partners }) => {
      const created = await partners.create({ name: options.name });
      print({ id: created.id, name: created.name, createdAt: created.createdAt.toISOString() }, options, `Created partner ${created.name} (${created.id})\nNext: npm run kometpay -- partner api-key create --partner ${created.id}`);
    }),
  );

partner
  .command('list')
  .description('list partners')
  .option('--json', 'print the result as JSON')
  .action((options: Output) =>
    withServices(async ({ partners }) => {
      const rows = (await partners.list()).map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt.toISOString() }));
      print({ partners: rows }, options, rows.map((p) => `${p.id}  ${p.name}`).join('\n') || '(no partners)');
    }),
  );

const partnerKey = partner.command('api-key').description("a partner's API keys");

partnerKey
  .command('create')
  .description('issue a partner API key (kpp_…); the key is shown once, only its hash is stored')
  .requiredOption('--partner <id>', 'partner id')
  .option('--label <label>', 'what the key is for', 'default')
  .option('--json', 'print the result as JSON')
  .action((options: Output & { partner: string; label: string }) =>
    withServices(async ({ partnerKeys }) => {
      const { apiKey: issued, key } = await partnerKeys.issue(options.partner, options.label);
      print({ id: issued.id, partnerId: options.partner, prefix: issued.prefix, label: issued.label, key }, options, `API key for partner ${options.partner} (shown once, keep it safe):\n${key}`);
    }),
  );

partnerKey
  .command('revoke')
  .description('revoke a partner API key by its prefix')
  .requiredOption('--partner <id>', 'partner id')
  .requiredOption('--prefix <prefix>', 'the key prefix, e.g. kpp_AbCdEf12')
  .option('--json', 'print the result as JSON')
  .action((options: Output & { partner: string; prefix: string }) =>
    withServices(async ({ partnerKeys }) => {
      const revoked = await partnerKeys.revoke(options.partner, options.prefix);
      print({ id: revoked.id, prefix: revoked.prefix, revokedAt: revoked.revokedAt?.toISOString() }, options, `Revoked ${revoked.prefix}`);
    }),
  );

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof DomainError) {
    console.error(JSON.stringify({ error: { code: error.code, message: error.message, ...error.details } }));
    process.exit(2);
  }
  throw error;
}
