/**
 * The operator CLI: onboarding without SQL. Works against DATABASE_URL, or the embedded database.
 * Passwords are never taken from the command line (shell history, `ps`): they are read from standard
 * input (typed without echo at a terminal, or piped), or generated and printed once.
 *   npm run kometpay -- merchant create --name "Acme Flowers" [--generate-supervisor-password] [--json]
 *   npm run kometpay -- merchant list [--json]
 *   npm run kometpay -- merchant processor-onboarding --merchant <id> --return-url <https://...> --refresh-url <https://...> [--json]
 *   npm run kometpay -- merchant supervisor-password reset --merchant <id> [--json]
 *   npm run kometpay -- merchant staff create --merchant <id> --email <e> --name <n> --role SUPERVISOR|STAFF [--json]
 *   npm run kometpay -- merchant api-key create --merchant <id> [--label <label>] [--json]
 *   npm run kometpay -- merchant api-key revoke --merchant <id> --prefix <kp_...> [--json]
 *   npm run kometpay -- partner create --name "Ledgerly" [--json]
 *   npm run kometpay -- partner list [--json]
 *   npm run kometpay -- partner api-key create --partner <id> [--label <label>] [--json]
 *   npm run kometpay -- partner api-key revoke --partner <id> --prefix <kpp_...> [--json]
 *   npm run kometpay -- db migrate [--json]
 *   npm run kometpay -- db status [--json]
 */
import 'reflect-metadata';
import { Command, InvalidArgumentError } from 'commander';
import { read } from 'read';
import { systemClock } from '../../domain/clock.js';
import { DomainError, ErrorCode } from '../../domain/errors.js';
import { generateSecret, isUuid } from '../../domain/tokens.js';
import { enqueueJob } from '../../kit/jobs/queue.js';
import { createLogger } from '../../kit/logger.js';
import { loadSettings } from '../../kit/settings.js';
import { AuditService } from '../../modules/audit/index.js';
import { ApiKeyService, Merchant, MerchantService, StaffRole, StaffService } from '../../modules/merchant/index.js';
import { PartnerApiKeyService, PartnerService } from '../../modules/partner/index.js';
import { ProcessorAccountDirectory, ProcessorAccountService } from '../../modules/processor-account/index.js';
import { createProcessorPlatform } from '../../processors/create-processor.js';
import { type Database, openDatabase } from '../bootstrap.js';
import { migrateUnderLock, pendingMigrations } from '../db/migrate.js';
import { createOrm } from '../db/orm.js';

const settings = loadSettings();
const logger = createLogger(process.env.LOG_LEVEL || 'warn');

interface Output {
  json?: boolean;
}

function print(result: Record<string, unknown>, options: Output, human: string): void {
  console.log(options.json ? JSON.stringify(result, null, 2) : human);
}

/**
 * A password from standard input: prompted without echo at a terminal (on stderr, so that --json
 * output stays clean), or the first line of whatever is piped in.
 */
async function passwordFromStdin(prompt: string): Promise<string> {
  const interactive = Boolean(process.stdin.isTTY);
  const password = await read({ prompt: interactive ? prompt : '', silent: true, output: process.stderr, terminal: interactive });
  if (process.stdin.isTTY) process.stderr.write('\n');
  return String(password);
}

interface CliServices {
  merchants: MerchantService;
  staff: StaffService;
  apiKeys: ApiKeyService;
  partners: PartnerService;
  partnerKeys: PartnerApiKeyService;
  processorAccounts: ProcessorAccountService;
  db: Database;
}

async function withServices<T>(work: (services: CliServices) => Promise<T>): Promise<T> {
  const db = await openDatabase(settings, logger);
  try {
    const em = db.orm.em.fork();
    const audit = new AuditService(em, { requestId: 'cli' });
    const forked = () => db.orm.em.fork();
    // The processor as the API wires it: the sandbox's own notifications become the API's jobs.
    const platform = createProcessorPlatform(settings, {
      em: forked,
      notify: (paymentReference, account) => enqueueJob(forked(), 'sync-payment', { paymentReference, account }, { maxAttempts: 25 }),
      notifyAccount: (account) => enqueueJob(forked(), 'sync-processor-account', { account }, { maxAttempts: 25 }),
      notifyDispute: (disputeReference, account) =>
        enqueueJob(forked(), 'sync-dispute', { disputeReference, account }, { maxAttempts: 25 }),
      clock: systemClock,
    });
    const processors = new ProcessorAccountDirectory(platform, forked, systemClock, settings.processorAccountCacheSeconds);
    return await work({
      processorAccounts: new ProcessorAccountService(em, systemClock, processors, audit),
      merchants: new MerchantService(em, audit),
      staff: new StaffService(em, systemClock, settings, audit),
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
  .description(
    'create a merchant; its supervisor password (min. 12 characters, guards the card vault) is read from standard input, or generated',
  )
  .requiredOption('--name <name>', 'display name, shown on invoices and the checkout')
  .option('--generate-supervisor-password', 'generate the supervisor password and print it once, instead of reading it from standard input')
  .option('--json', 'print the result as JSON')
  .action(async (options: Output & { name: string; generateSupervisorPassword?: boolean }) => {
    const supervisorPassword = options.generateSupervisorPassword ? generateSecret(18) : await passwordFromStdin('Supervisor password: ');
    await withServices(async ({ merchants }) => {
      const created = await merchants.create({ name: options.name, supervisorPassword });
      const shown = options.generateSupervisorPassword ? { supervisorPassword } : {};
      print(
        { id: created.id, name: created.name, createdAt: created.createdAt.toISOString(), ...shown },
        options,
        [
          `Created merchant ${created.name} (${created.id})`,
          ...(options.generateSupervisorPassword ? [`Supervisor password (shown once): ${supervisorPassword}`] : []),
          `Next: npm run kometpay -- merchant api-key create --merchant ${created.id}`,
        ].join('\n'),
      );
    });
  });

merchant
  .command('supervisor-password')
  .description("the merchant's supervisor password")
  .command('reset')
  .description('set a new supervisor password, read from standard input; every supervisor session of the merchant ends')
  .requiredOption('--merchant <id>', 'merchant id')
  .option('--json', 'print the result as JSON')
  .action(async (options: Output & { merchant: string }) => {
    const password = await passwordFromStdin('New supervisor password: ');
    await withServices(async ({ merchants }) => {
      await merchants.resetSupervisorPassword(options.merchant, password);
      print(
        { merchantId: options.merchant, reset: true },
        options,
        `Supervisor password of merchant ${options.merchant} reset; its supervisor sessions have ended`,
      );
    });
  });

const role = (value: string): StaffRole => {
  if (!Object.values(StaffRole).includes(value as StaffRole)) throw new InvalidArgumentError('SUPERVISOR or STAFF');
  return value as StaffRole;
};

merchant
  .command('staff')
  .description("a merchant's people (console sign-in); inviteStaffMember invites them by email instead")
  .command('create')
  .description('create a staff account; its password is read from standard input')
  .requiredOption('--merchant <id>', 'merchant id')
  .requiredOption('--email <email>', 'the email they sign in with')
  .requiredOption('--name <name>', 'their name, as the audit log shows it')
  .requiredOption('--role <role>', 'SUPERVISOR or STAFF', role)
  .option('--json', 'print the result as JSON')
  .action(async (options: Output & { merchant: string; email: string; name: string; role: StaffRole }) => {
    const password = await passwordFromStdin(`Password for ${options.email}: `);
    await withServices(async ({ staff }) => {
      const member = await staff.createWithPassword(options.merchant, {
        name: options.name,
        email: options.email,
        role: options.role,
        password,
      });
      print(
        { id: member.id, merchantId: options.merchant, name: member.name, email: member.email, role: member.role },
        options,
        `Created ${member.role} ${member.name} <${member.email}> (${member.id}); they sign in on the console`,
      );
    });
  });

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

merchant
  .command('processor-onboarding')
  .description(
    "a link to the processor's hosted onboarding for the merchant's own account (Stripe: an Account Link; the account is made first if needed)",
  )
  .requiredOption('--merchant <id>', 'merchant id')
  .requiredOption('--return-url <url>', 'where the processor sends the merchant when done (absolute https; http only on localhost)')
  .requiredOption('--refresh-url <url>', 'where the processor sends the merchant when the link has expired (same rule)')
  .option('--json', 'print the result as JSON')
  .action((options: Output & { merchant: string; returnUrl: string; refreshUrl: string }) =>
    withServices(async ({ processorAccounts, db }) => {
      if (!isUuid(options.merchant) || !(await db.orm.em.fork().findOne(Merchant, { id: options.merchant })))
        throw new DomainError(ErrorCode.BAD_USER_INPUT, `No merchant with id ${options.merchant}`, { field: 'merchant' });
      const link = await processorAccounts.startOnboarding(null, options.merchant, {
        returnUrl: options.returnUrl,
        refreshUrl: options.refreshUrl,
      });
      const account = await processorAccounts.view(options.merchant);
      print(
        { merchantId: options.merchant, url: link.url, expiresAt: link.expiresAt.toISOString(), status: account.status },
        options,
        [
          `Onboarding link for merchant ${options.merchant} (single use, expires ${link.expiresAt.toISOString()}):`,
          link.url,
          `Account status now: ${account.status}`,
        ].join('\n'),
      );
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
      print(
        { id: issued.id, merchantId: options.merchant, prefix: issued.prefix, label: issued.label, key },
        options,
        `API key for merchant ${options.merchant} (shown once, keep it safe):\n${key}`,
      );
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

const partner = program
  .command('partner')
  .description('partners (they follow the payments of merchants that grant them access) and their API keys');

partner
  .command('create')
  .description('create a partner; merchants then grant it access with grantPartnerAccess')
  .requiredOption('--name <name>', 'display name')
  .option('--json', 'print the result as JSON')
  .action((options: Output & { name: string }) =>
    withServices(async ({ partners }) => {
      const created = await partners.create({ name: options.name });
      print(
        { id: created.id, name: created.name, createdAt: created.createdAt.toISOString() },
        options,
        `Created partner ${created.name} (${created.id})\nNext: npm run kometpay -- partner api-key create --partner ${created.id}`,
      );
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
      print(
        { id: issued.id, partnerId: options.partner, prefix: issued.prefix, label: issued.label, key },
        options,
        `API key for partner ${options.partner} (shown once, keep it safe):\n${key}`,
      );
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

const db = program.command('db').description('the database schema (a release step of its own in production)');

db.command('migrate')
  .description("apply pending migrations (ours and the job queue's) under an advisory lock; safe beside running instances")
  .option('--json', 'print the result as JSON')
  .action(async (options: Output) => {
    const url = settings.databaseUrl;
    if (!url) {
      // The embedded database: the development start migrates it anyway; opening it does the same.
      const database = await openDatabase(settings, logger, 'apply');
      await database.close();
      print({ applied: 'embedded' }, options, 'Embedded database migrated');
      return;
    }
    const orm = await createOrm(url, 2, logger);
    try {
      const applied = await migrateUnderLock(url, orm, logger);
      print({ applied }, options, applied.length ? `Applied ${applied.length} migration(s):\n${applied.join('\n')}` : 'Up to date');
    } finally {
      await orm.close();
    }
  });

db.command('status')
  .description('list migrations not yet applied')
  .option('--json', 'print the result as JSON')
  .action(async (options: Output) => {
    const database = settings.databaseUrl ? null : await openDatabase(settings, logger, 'apply');
    const orm = database?.orm ?? (await createOrm(settings.databaseUrl!, 2, logger));
    try {
      const pending = await pendingMigrations(orm);
      print({ pending }, options, pending.length ? `Pending:\n${pending.join('\n')}` : 'Up to date');
    } finally {
      if (database) await database.close();
      else await orm.close();
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof DomainError) {
    console.error(JSON.stringify({ error: { code: error.code, message: error.message, ...error.details } }));
    process.exit(2);
  }
  throw error;
}
