import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { systemClock } from '../domain/clock.js';
import { generateSecret } from '../domain/tokens.js';
import type { Logger } from '../kit/logger.js';
import type { Settings } from '../kit/settings.js';
import { AuditService } from '../modules/audit/index.js';
import { Customer } from '../modules/customer/index.js';
import { Invoice, InvoiceLine, InvoiceService } from '../modules/invoice/index.js';
import { ApiKeyService, apiKeyActor, Merchant, MerchantService, StaffRole, StaffService } from '../modules/merchant/index.js';
import { PaymentLinkService } from '../modules/payment-link/index.js';
import type { Orm } from './db/orm.js';

export interface DemoCredentials {
  merchantId: string;
  merchantName: string;
  apiKey: string;
  supervisorPassword: string;
  /** A SUPERVISOR staff account for the console (absent from credential files written before staff existed). */
  staffEmail?: string;
  staffPassword?: string;
  /** Pay links of the demo invoices that were sent (development only: links are otherwise never stored). */
  payLinks: string[];
}

const customers = [
  { name: 'Bloom & Stem Florists', email: 'ap@bloomandstem.example', externalRef: 'C-1001' },
  { name: 'Petal Pushers Events', email: 'billing@petalpushers.example', externalRef: 'C-1002' },
  { name: 'Greenhouse Grocers', email: 'accounts@greenhousegrocers.example', externalRef: 'C-1003' },
];

const invoiceLines = [
  [
    { description: 'Red roses, 50 stems', quantity: 4, unitAmount: 6250n },
    { description: 'Eucalyptus bunch', quantity: 10, unitAmount: 899n },
  ],
  [{ description: 'White lilies, 10 stems', quantity: 12, unitAmount: 3475n }],
  [
    { description: 'Mixed tulips, 25 stems', quantity: 6, unitAmount: 4100n },
    { description: 'Delivery', quantity: 1, unitAmount: 2500n },
  ],
];

function credentialsFile(settings: Settings): string {
  return path.join(settings.dataDir, 'demo-credentials.json');
}

/**
 * On an empty database, creates a demo merchant with customers and draft invoices, and keeps its
 * API key and supervisor password in `.data/demo-credentials.json` (readable by the owner only) so
 * that `npm start` can print them every time. Development only.
 */
export async function seedDemoData(orm: Orm, settings: Settings, logger: Logger): Promise<DemoCredentials | null> {
  const em = orm.em.fork();
  if ((await em.count(Merchant, {})) > 0) {
    try {
      return JSON.parse(await readFile(credentialsFile(settings), 'utf8')) as DemoCredentials;
    } catch {
      return null;
    }
  }

  const audit = new AuditService(em, { requestId: 'demo-seed' });
  const supervisorPassword = `demo-${generateSecret(9)}`;
  const merchant = await new MerchantService(em, audit).create({ name: 'Demo Flowers Wholesale', supervisorPassword });
  const issued = await new ApiKeyService(em, systemClock, audit).issue(merchant.id, 'demo');
  const staffEmail = 'supervisor@demo-flowers.example';
  const staffPassword = `demo-${generateSecret(9)}`;
  await new StaffService(em, systemClock, settings, audit).createWithPassword(merchant.id, {
    name: 'Demo Supervisor',
    email: staffEmail,
    role: StaffRole.SUPERVISOR,
    password: staffPassword,
  });
  const { key } = issued;

  const invoices = customers.map((data, index) => {
    const customer = em.create(Customer, { ...data, merchant });
    const invoice = em.create(Invoice, {
      merchant,
      customer,
      number: `INV-${1001 + index}`,
      currency: 'USD',
      dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
    });
    for (const [position, line] of invoiceLines[index].entries()) em.create(InvoiceLine, { ...line, invoice, position });
    return invoice;
  });
  await em.flush();

  // Two of them are sent, as a merchant would: each gets its payment link and its email (.data/outbox).
  // A fresh demo has no payment waiting for its customer: sending touches none.
  const noAwaitingPayments = { cancelOnInvoice: async () => undefined };
  const invoiceService = new InvoiceService(em, systemClock, new PaymentLinkService(em, settings), noAwaitingPayments);
  const actor = apiKeyActor(merchant.id, issued.apiKey);
  const payLinks: string[] = [];
  for (const invoice of invoices.slice(0, 2)) payLinks.push((await invoiceService.send(actor, invoice.id)).issuedLinkUrl!);

  const credentials: DemoCredentials = {
    merchantId: merchant.id,
    merchantName: merchant.name,
    apiKey: key,
    supervisorPassword,
    staffEmail,
    staffPassword,
    payLinks,
  };
  await mkdir(settings.dataDir, { recursive: true });
  await writeFile(credentialsFile(settings), JSON.stringify(credentials, null, 2));
  await chmod(credentialsFile(settings), 0o600);
  logger.info({ merchantId: merchant.id }, 'demo merchant seeded');
  return credentials;
}
