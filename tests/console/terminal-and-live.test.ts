import { createStaff } from '../people/support.js';
import { Shop } from '../support/shop.js';
import { type ConsoleWorld, hydrated, STAFF_PASSWORD, signedInPage, startConsoleWorld } from './support.js';

type Json = Record<string, any>;
let world: ConsoleWorld;
let shop: Shop;

beforeAll(async () => {
  world = await startConsoleWorld();
  shop = await Shop.open(world.merchant, world.t.url, 'Greenhouse Grocers');
}, 60_000);
afterEach(async () => expect(await world.closePages()).toEqual([]));
afterAll(async () => {
  if (process.env.DEBUG_CONSOLE) console.log(world?.console.output());
  await world?.close();
});

/** A customer on the simulated reader taps a test card, as the sandbox's reader route takes it. */
async function tapCard(readerReference: string, number: string): Promise<void> {
  const response = await fetch(`${world.t.url}/sandbox/v1/terminal/readers/${readerReference}/present_payment_method`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ 'card[number]': number, 'card[exp_month]': '12', 'card[exp_year]': '2034', 'card[cvc]': '123' }).toString(),
  });
  expect(response.status).toBe(200);
}

/** The events of a Server-Sent Events stream, read until `count` payment events have arrived. */
async function paymentEvents(response: Response, count: number): Promise<{ id: string; data: Json }[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { id: string; data: Json }[] = [];
  let buffered = '';
  try {
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended after ${events.length} of ${count} events`);
      buffered += value;
      let end = buffered.indexOf('\n\n');
      while (end >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const fields = Object.fromEntries(
          block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
        );
        if (fields.event === 'payment') events.push({ id: fields.id, data: JSON.parse(fields.data) });
        end = buffered.indexOf('\n\n');
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

/** A held request: `reached` once it arrives, let through by `open()`. */
function gate() {
  let arrive!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { reached, opened, arrive, open };
}

describe('the terminal screen', () => {
  it('registers a reader (a bad code answered at its field), sends a charge to it, and shows the approval without a reload', async () => {
    const page = await signedInPage(world, '/payments/terminal');
    await hydrated(page);
    await page.getByText('No reader is registered yet').waitFor();

    await page.locator('#reader-label').fill('Front desk');
    await page.getByLabel('Registration code').fill('not-a-code');
    await page.getByRole('button', { name: 'Register reader' }).click();
    await page.locator('#registrationCode-error').waitFor();
    expect(await world.merchant.client().request<Json>('{ terminalReaders { id } }')).toEqual({ terminalReaders: [] });

    await page.getByLabel('Registration code').fill('simulated-wpe');
    await page.getByRole('button', { name: 'Register reader' }).click();
    await page.getByRole('button', { name: 'Send to reader' }).waitFor();
    const { terminalReaders } = await world.merchant.client().request<Json>('{ terminalReaders { id label processorReference } }');
    expect(terminalReaders).toEqual([expect.objectContaining({ label: 'Front desk' })]);

    await page.getByLabel('Amount', { exact: true }).fill('18.50');
    await page.getByRole('button', { name: 'Send to reader' }).click();
    await page.getByText('Waiting for the card on the reader').waitFor();
    await hydrated(page);

    await tapCard(terminalReaders[0].processorReference, '4242424242424242');
    await page.getByText(/^Approved, authorization code /).waitFor();
    expect(await page.getByRole('heading', { name: /Payment of \$18\.50/ }).innerText()).toContain('Succeeded');
  });
});

describe('live updates', () => {
  it('resumes the stream right after the last event the browser received (Last-Event-ID), with none repeated or lost', async () => {
    const page = await signedInPage(world, '/');
    const cookie = (await page.context().cookies(world.console.url)).map(({ name, value }) => `${name}=${value}`).join('; ');
    const live = (lastEventId?: string) =>
      fetch(`${world.console.url}/live`, {
        headers: { cookie, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      });

    const first = await live();
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await shop.paidInvoice(1_100);
    const [seen] = await paymentEvents(first, 1);
    expect(seen.data).toMatchObject({ type: 'transaction.created', amount: '$11.00', customer: 'Greenhouse Grocers' });

    // While no page is listening, two more payments come in; the browser reconnects with the last id it saw.
    await shop.paidInvoice(2_200);
    await shop.paidInvoice(3_300);
    const resumed = await paymentEvents(await live(seen.id), 5);
    expect(resumed.map((event) => `${event.data.type} ${event.data.amount}`)).toEqual([
      'transaction.succeeded $11.00',
      'transaction.created $22.00',
      'transaction.succeeded $22.00',
      'transaction.created $33.00',
      'transaction.succeeded $33.00',
    ]);
    expect(new Set([seen.id, ...resumed.map((event) => event.id)]).size).toBe(6);
  });

  it('lets the person’s own navigation land when a live refresh comes due while it loads', async () => {
    const page = await signedInPage(world, '/transactions');
    await page.clock.install();
    await hydrated(page);

    // The Invoices page's data is held, so the navigation is still loading when the refresh timer fires.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let loading!: () => void;
    const navigationLoading = new Promise<void>((resolve) => (loading = resolve));
    await page.route(/\/invoices\/__data\.json/, async (route) => {
      loading();
      await held;
      await route.continue();
    });
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Invoices' }).click();
    await navigationLoading;

    await shop.paidInvoice(4_400);
    const notice = page.getByText(/^Payment of \$44\.00 from Greenhouse Grocers/);
    await notice.first().waitFor();
    await page.clock.runFor(1_000);
    release();

    await page.waitForURL(/\/invoices$/);
    await page.getByRole('heading', { name: 'Invoices', level: 1 }).waitFor();
  });

  it('shows a form’s result over the data it changed when a live refresh comes due while the form reloads', async () => {
    const paid = await shop.paidInvoice(6_600);
    const page = await signedInPage(world, '/transactions?kind=CHARGE');
    await page.clock.install();
    await hydrated(page);

    // Both reloads of the log are held: the refund form's own (after its action) and the live refresh's.
    const loads = [gate(), gate()];
    let loadCount = 0;
    let refunding = false;
    await page.route(/\/transactions\/__data\.json/, async (route) => {
      const load = refunding ? loads[loadCount++] : undefined;
      if (load) {
        load.arrive();
        await load.opened;
      }
      await route.continue();
    });
    try {
      const row = page.getByRole('row', { name: new RegExp(paid.number) });
      refunding = true;
      await row.getByRole('button', { name: /^Refund/ }).click();
      await loads[0].reached;
      await page
        .getByText(/^Refund of \$66\.00 from Greenhouse Grocers/)
        .first()
        .waitFor();
      // The live refresh comes due while the form's reload is still loading; then that reload lands.
      await page.clock.runFor(1_000);
      loads[0].open();

      await page.getByText(/^Refund of \$66\.00 succeeded \(Refund [0-9A-F]{6}\)\.$/).waitFor();
      expect(await row.innerText()).toContain('Refunded $66.00');
    } finally {
      for (const load of loads) load.open();
    }
  });

  it('answers 401 to a stream asked for without a session', async () => {
    const response = await fetch(`${world.console.url}/live`);
    expect(response.status).toBe(401);
  });
});

describe('sign-in limits in the console', () => {
  it('answers 429 with how long to wait once an email has had too many wrong passwords, and signs in nobody', async () => {
    const email = `lee-${world.merchant.id.slice(0, 8)}@console.example`;
    await createStaff(world.t, world.merchant, { email, name: 'Lee Park', role: 'STAFF', password: STAFF_PASSWORD });
    const attempt = (password: string) =>
      fetch(`${world.console.url}/sign-in`, {
        method: 'POST',
        headers: { origin: world.console.url, 'content-type': 'application/x-www-form-urlencoded', 'x-sveltekit-action': 'true' },
        body: new URLSearchParams({ email, password, next: '/' }).toString(),
        redirect: 'manual',
      });
    for (let i = 0; i < 5; i++) expect(((await (await attempt(`wrong password ${i}`)).json()) as { status: number }).status).toBe(400);

    const page = await world.newPage();
    await page.context().clearCookies();
    await page.goto(`${world.console.url}/sign-in`);
    await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(STAFF_PASSWORD);
    const [response] = await Promise.all([
      page.waitForResponse((answer) => answer.url().startsWith(`${world.console.url}/sign-in`) && answer.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    expect(response.status()).toBe(429);
    await page
      .getByRole('alert')
      .filter({ hasText: /Too many wrong passwords\. Try again in \d+ minutes\./ })
      .waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect((await page.context().cookies()).filter((c) => c.name.includes('session'))).toEqual([]);
  });
});
