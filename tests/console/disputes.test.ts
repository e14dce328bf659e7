import { randomUUID } from 'node:crypto';
import {
  ChargeInvoicesDocument,
  CreateCustomerDocument,
  CreateInvoiceDocument,
  DisputesDocument,
  SendInvoiceDocument,
} from '@kometpay/schema/merchant';
import { accessibilityViolations } from '../support/browser.js';
import { eventually } from '../support/payments.js';
import { type ConsoleWorld, hydrated, signedInPage, startConsoleWorld } from './support.js';

let world: ConsoleWorld;

beforeAll(async () => {
  world = await startConsoleWorld();
}, 60_000);
afterEach(async () => expect(await world.closePages()).toEqual([]));
afterAll(() => world?.close());

/** A card payment of a sent invoice that the cardholder disputes (Stripe's test card), once the sandbox has told the API. */
async function disputedPayment(customerName: string, amount: string): Promise<string> {
  const client = world.merchant.client();
  const { createCustomer } = await client.request(CreateCustomerDocument, {
    input: { name: customerName, email: `ap-${randomUUID().slice(0, 6)}@customer.example` },
  });
  const { createInvoice } = await client.request(CreateInvoiceDocument, {
    input: {
      customerId: createCustomer.id,
      number: `DSP-${randomUUID().slice(0, 6)}`,
      currency: 'USD',
      lines: [{ description: 'Orchids', quantity: 1, unitAmount: amount }],
    },
  });
  await client.request(SendInvoiceDocument, { id: createInvoice.id });
  await client.request(ChargeInvoicesDocument, {
    input: { customerId: createCustomer.id, invoiceIds: [createInvoice.id], paymentMethodToken: 'pm_card_createDispute' },
    idempotencyKey: randomUUID(),
  });
  return eventually(async () => {
    const { disputes } = await client.request(DisputesDocument, { first: 100 });
    return disputes.edges.find((edge) => edge.node.transaction.id && edge.node.amount.amount === amount)?.node.id;
  });
}

const disputeStatus = async (id: string) =>
  (await world.merchant.client().request(DisputesDocument, { first: 100 })).disputes.edges.find((edge) => edge.node.id === id)?.node.status;

describe('the Disputes screen', () => {
  it('is counted on Home, lists what needs a response, and takes evidence (axe clean)', async () => {
    const disputeId = await disputedPayment('Orchid House', '61500');
    const page = await signedInPage(world, '/');
    await hydrated(page);
    const stat = page.locator('.stat', { hasText: 'Disputes needing a response' });
    expect(await stat.locator('dd').innerText()).toBe('1');
    await stat.getByRole('link', { name: 'Disputes needing a response' }).click();
    await page.waitForURL(/\/disputes$/);
    await hydrated(page);
    const section = page.getByRole('region', { name: /\$615\.00 · Orchid House/ });
    await section.waitFor();
    expect(await section.innerText()).toMatch(/Needs response[\s\S]*Fraudulent[\s\S]*\$15\.00/);
    expect(await accessibilityViolations(page)).toEqual([]);

    // Without an explanation the form answers at its field, and nothing is sent.
    await section.getByRole('button', { name: /Submit evidence/ }).click();
    await section.getByText('Explain why the payment stands.').waitFor();
    expect(await section.getByLabel('Why the payment stands').getAttribute('aria-invalid')).toBe('true');
    expect(await disputeStatus(disputeId)).toBe('NEEDS_RESPONSE');
    expect(await accessibilityViolations(page)).toEqual([]);

    await section.getByLabel('Why the payment stands').fill('Delivered on 2 December and signed for by the buyer.');
    await section.getByLabel('What you and the customer wrote (optional)').fill('Buyer: "All arrived, thanks!"');
    await section.getByRole('button', { name: /Submit evidence/ }).click();
    await page.getByText('Evidence submitted: the dispute is under review.').waitFor();
    expect(await disputeStatus(disputeId)).toBe('UNDER_REVIEW');
    // The list kept to disputes needing a response: this one has moved on.
    expect(await page.getByRole('region', { name: /Orchid House/ }).count()).toBe(0);
    await page.getByLabel('Status').selectOption('UNDER_REVIEW');
    await Promise.all([page.waitForURL(/status=UNDER_REVIEW/), page.getByRole('button', { name: 'Show' }).click()]);
    await page.getByRole('region', { name: /Orchid House/ }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);

    // The disputed payment's own page names its dispute.
    await page.getByRole('link', { name: 'View the payment' }).click();
    await page.getByRole('heading', { name: 'Disputes' }).waitFor();
    expect(await page.getByRole('region', { name: 'Disputes' }).innerText()).toMatch(/\$615\.00, under review, fraudulent/);
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('takes evidence from a plain HTML form post, as without JavaScript', async () => {
    const disputeId = await disputedPayment('Fern & Co', '22000');
    const page = await signedInPage(world, '/disputes');
    await page.close();
    const cookie = (await world.browser.context.cookies(world.console.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const response = await fetch(`${world.console.url}/disputes?/evidence`, {
      method: 'POST',
      headers: { cookie, origin: world.console.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ disputeId, explanation: 'Signed delivery note on file.' }),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Evidence submitted: the dispute is under review.');
    expect(await disputeStatus(disputeId)).toBe('UNDER_REVIEW');
  });
});
