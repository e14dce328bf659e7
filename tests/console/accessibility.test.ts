import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { accessibilityViolations, recordScripts } from '../support/browser.js';
import { eventually } from '../support/payments.js';
import { type ConsoleWorld, hydrated, signedInPage, startConsoleWorld } from './support.js';

type Json = Record<string, any>;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * JavaScript per page, gzipped: SvelteKit's client (router, hydration, forms) is most of it and is
 * shared by every page, cached after the first; the rest is the page's own code. See docs/console.md.
 */
const JS_BUDGET_BYTES = 64 * 1024;

let world: ConsoleWorld;
const ids: Record<string, string> = {};

beforeAll(async () => {
  world = await startConsoleWorld();
  const client = world.merchant.client();
  const { createCustomer } = await client.request<Json>(
    'mutation { createCustomer(input: { name: "Greenhouse Grocers", email: "accounts@greenhouse.example", externalRef: "C-1003" }) { id } }',
  );
  const { createInvoice } = await client.request<Json>('mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }', {
    input: {
      customerId: createCustomer.id,
      number: 'INV-2001',
      currency: 'USD',
      dueDate: '2030-06-30',
      lines: [
        { description: 'Mixed tulips, 25 stems', quantity: 6, unitAmount: '4100' },
        { description: 'Delivery', quantity: 1, unitAmount: '2500' },
      ],
    },
  });
  await client.request('mutation ($id: ID!) { sendInvoice(id: $id) { id } }', { id: createInvoice.id });
  const { chargeInvoices } = await client.request<Json>(
    'mutation ($input: ChargeInvoicesInput!) { chargeInvoices(input: $input, idempotencyKey: "a11y-charge-1") { id } }',
    {
      input: {
        customerId: createCustomer.id,
        invoiceIds: [createInvoice.id],
        allocations: [{ invoiceId: createInvoice.id, amount: '10000' }],
        paymentMethodToken: 'pm_card_visa',
      },
    },
  );
  Object.assign(ids, { customer: createCustomer.id, invoice: createInvoice.id, transaction: chargeInvoices.id });
  // A payment the cardholder disputes (Stripe's test card), so that the Disputes screen shows its evidence form.
  const { createInvoice: disputed } = await client.request<Json>(
    'mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }',
    {
      input: {
        customerId: createCustomer.id,
        number: 'INV-2002',
        currency: 'USD',
        lines: [{ description: 'Orchids', quantity: 3, unitAmount: '2500' }],
      },
    },
  );
  await client.request('mutation ($id: ID!) { sendInvoice(id: $id) { id } }', { id: disputed.id });
  await client.request(
    'mutation ($input: ChargeInvoicesInput!) { chargeInvoices(input: $input, idempotencyKey: "a11y-dispute-1") { id } }',
    { input: { customerId: createCustomer.id, invoiceIds: [disputed.id], paymentMethodToken: 'pm_card_createDispute' } },
  );
  await eventually(async () => (await client.request<Json>('{ disputes { edges { node { id } } } }')).disputes.edges.length > 0);
}, 60_000);
afterEach(async () => expect(await world.closePages()).toEqual([]));
afterAll(() => world?.close());

/** Every screen, by the name of its screenshot in docs/images/console/. */
const screens = (): [string, string][] => [
  ['home', '/'],
  ['customers', '/customers'],
  ['customer', `/customers/${ids.customer}`],
  ['invoices', '/invoices'],
  ['invoice-new', `/invoices/new?customer=${ids.customer}`],
  ['invoice', `/invoices/${ids.invoice}`],
  ['invoice-edit', `/invoices/${ids.invoice}/edit`],
  ['pay-invoices', `/payments/invoices?customer=${ids.customer}`],
  ['terminal', '/payments/terminal'],
  ['virtual-terminal', '/payments/virtual-terminal'],
  ['transactions', '/transactions'],
  ['transaction', `/transactions/${ids.transaction}`],
  ['disputes', '/disputes'],
  ['settlement', '/settlement'],
  ['settings-branding', '/settings/branding'],
  ['settings-payments-account', '/settings/payments-account'],
  ['settings-staff', '/settings/staff'],
  ['settings-supervisor-password', '/settings/supervisor-password'],
  ['settings-my-password', '/settings/my-password'],
  ['supervisor', '/supervisor?next=/customers'],
];

async function screenshot(page: Page, name: string) {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  const dir = path.join(root, 'docs/images/console');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

describe('every console screen', () => {
  for (const [width, height] of [
    [1280, 900],
    [390, 844],
  ]) {
    it(`has no WCAG 2.2 AA violation at ${width} px${width < 500 ? ', and never scrolls sideways' : ', within its JavaScript budget'}`, async () => {
      const problems: string[] = [];
      const weights: Record<string, number> = {};
      // Signed in once: the browser's session cookie serves every page after.
      await (await signedInPage(world, '/', { width, height })).close();
      for (const [name, route] of screens()) {
        const page = await world.newPage({ width, height });
        const scripts = recordScripts(page);
        await page.goto(`${world.console.url}${route}`);
        await hydrated(page);
        for (const violation of await accessibilityViolations(page)) problems.push(`${name}: ${violation}`);
        if (width < 500) {
          const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
          if (overflow > 0) problems.push(`${name}: scrolls sideways by ${overflow} px`);
        } else {
          weights[name] = (await scripts.scripts()).reduce((sum, script) => sum + script.gzipBytes, 0);
          await screenshot(page, name);
        }
        await page.close();
      }
      // Sign-in and the invitation page, signed out.
      for (const [name, route] of [
        ['sign-in', '/sign-in'],
        ['invitation', '/invitations/an-invitation-token-from-the-email'],
      ]) {
        const page = await world.newPage({ width, height });
        await page.context().clearCookies();
        await page.goto(`${world.console.url}${route}`);
        for (const violation of await accessibilityViolations(page)) problems.push(`${name}: ${violation}`);
        if (width >= 500) await screenshot(page, name);
        await page.close();
      }
      expect(problems).toEqual([]);
      if (width >= 500) {
        await mkdir(path.join(root, 'tests/artifacts/console'), { recursive: true });
        await writeFile(path.join(root, 'tests/artifacts/console/javascript.json'), JSON.stringify(weights, null, 2));
        expect(Object.entries(weights).filter(([, bytes]) => bytes > JS_BUDGET_BYTES)).toEqual([]);
      }
    }, 240_000);
  }
});
