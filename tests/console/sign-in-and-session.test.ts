import { accessibilityViolations } from '../support/browser.js';
import { type ConsoleWorld, hydrated, STAFF_PASSWORD, signedInPage, signIn, startConsoleWorld } from './support.js';

let world: ConsoleWorld;

beforeAll(async () => {
  world = await startConsoleWorld();
}, 60_000);
afterEach(async () => expect(await world.closePages()).toEqual([]));
afterAll(async () => {
  if (process.env.DEBUG_CONSOLE) console.log(world?.console.output());
  await world?.close();
});

describe('signing in to the console', () => {
  it('refuses a wrong password with a clear message, signs in, keeps the session out of reach of scripts, and signs out', async () => {
    const page = await world.newPage();
    await page.goto(`${world.console.url}/`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');

    await page.getByLabel('Email').fill(world.staffEmail);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#password-error').waitFor();
    expect(await page.locator('#password-error').innerText()).toBe('Enter your password.');
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Email').inputValue()).toBe(world.staffEmail);

    await page.getByLabel('Password', { exact: true }).fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The email or password is not right.' }).waitFor();

    await signIn(page, world.staffEmail);
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await hydrated(page);
    expect(await page.locator('.merchant-name').innerText()).toBe('Console Flowers');
    const cookies = await world.browser.context.cookies(world.console.url);
    const session = cookies.find((cookie) => cookie.name === 'kometpay_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, value: expect.stringMatching(/^kps_/) });
    // Neither the page's scripts nor its markup ever hold the token.
    expect(await page.evaluate<string>('document.cookie')).not.toContain('kps_');
    expect(await page.content()).not.toContain(session!.value);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in$/);
    expect((await world.browser.context.cookies(world.console.url)).some((cookie) => cookie.name === 'kometpay_session')).toBe(false);
    // The session ended at the API too.
    const answer = await fetch(`${world.t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session!.value}` },
      body: JSON.stringify({ query: '{ viewer { apiKeyPrefix } }' }),
    });
    expect(answer.status).toBe(401);
  });

  it('sends an ended session back to sign in, then to the page the person was on', async () => {
    const page = await signedInPage(world, '/transactions?kind=CHARGE');
    await page.getByRole('heading', { level: 1, name: 'Transactions' }).waitFor();
    // The API's idle limit (60 minutes) passes.
    world.t.clock.advance(61 * 60_000);
    await page.goto(`${world.console.url}/transactions?kind=CHARGE&status=SUCCEEDED`);
    await page.waitForURL((url) => url.pathname === '/sign-in');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/transactions?kind=CHARGE&status=SUCCEEDED');
    expect(await page.getByRole('status').first().innerText()).toContain('Your session has ended');
    expect(await accessibilityViolations(page)).toEqual([]);
    await signIn(page, world.staffEmail);
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/transactions?kind=CHARGE&status=SUCCEEDED');
    expect(await page.getByLabel('Status').inputValue()).toBe('SUCCEEDED');

    // In the middle of work too: a form sent after the session ended goes the same way, and changes nothing.
    await page.goto(`${world.console.url}/customers`);
    await hydrated(page);
    world.t.clock.advance(61 * 60_000);
    await page.getByLabel('Name', { exact: true }).fill('Late Customer');
    await page.getByLabel('Email for invoices').fill('late@customer.example');
    await page.getByRole('button', { name: 'Add customer' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/customers');
    await signIn(page, world.staffEmail);
    expect(new URL(page.url()).pathname).toBe('/customers');
    expect(await page.getByRole('link', { name: 'Late Customer' }).count()).toBe(0);
  });

  it('keeps what a person typed before the page finished loading', async () => {
    // The page's scripts are held back until the email is typed, as on a slow connection.
    const page = await world.newPage();
    await page.context().clearCookies();
    let releaseScripts!: () => void;
    const scriptsHeld = new Promise<void>((resolve) => {
      releaseScripts = resolve;
    });
    await page.route('**/_app/immutable/**/*.js', async (route) => {
      await scriptsHeld;
      await route.continue();
    });
    await page.goto(`${world.console.url}/sign-in`, { waitUntil: 'commit' });
    await page.getByLabel('Email').fill(world.staffEmail);
    releaseScripts();
    await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
    expect(await page.getByLabel('Email').inputValue()).toBe(world.staffEmail);
    await page.getByLabel('Password', { exact: true }).fill(STAFF_PASSWORD);
    await Promise.all([page.waitForURL((url) => url.pathname === '/'), page.getByRole('button', { name: 'Sign in' }).click()]);
  });

  it('never sends a person to another site after signing in', async () => {
    const page = await world.newPage();
    await page.goto(`${world.console.url}/sign-in?next=${encodeURIComponent('//evil.example/steal')}`);
    await signIn(page, world.staffEmail);
    expect(page.url()).toBe(`${world.console.url}/`);
  });

  it('refuses a form posted from another site, and any other state-changing request from another origin', async () => {
    for (const [contentType, body] of [
      ['application/x-www-form-urlencoded', `email=${encodeURIComponent(world.staffEmail)}&password=${encodeURIComponent(STAFF_PASSWORD)}`],
      ['application/json', JSON.stringify({ email: world.staffEmail })],
    ]) {
      const response = await fetch(`${world.console.url}/sign-in`, {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': contentType },
        body,
        redirect: 'manual',
      });
      expect(response.status).toBe(403);
      expect(response.headers.get('set-cookie')).toBeNull();
    }
  });

  it('lets an invited person set a password from the email and signs them in', async () => {
    const page = await signedInPage(world, '/settings/staff');
    await page.getByLabel('Supervisor password').fill(world.merchant.supervisorPassword);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'Invite a person' }).waitFor();
    await hydrated(page);
    await page.getByLabel('Name', { exact: true }).fill('Sam Counter');
    await page.getByLabel('Email', { exact: true }).fill('sam@console.example');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText('Invitation emailed to sam@console.example.').waitFor();
    expect(await page.getByRole('row', { name: /Sam Counter/ }).innerText()).toContain('Invited, no password yet');

    const email = await world.mail.waitFor((message) => JSON.stringify(message.to).includes('sam@console.example'));
    const link = new RegExp(`${world.console.url}/invitations/[A-Za-z0-9_-]+`).exec(email.text ?? '')?.[0];
    expect(link).toBeDefined();
    // The same browser: the invitation's session replaces Dana's (this test is the file's last).
    const other = await world.newPage();
    await other.goto(link!);
    await other.getByLabel('Password', { exact: true }).fill('short');
    await other.getByLabel('The same password again').fill('short');
    await other.getByRole('button', { name: 'Set password and sign in' }).click();
    await other.locator('#password-error').waitFor();
    await other.getByLabel('Password', { exact: true }).fill('sam picks a long password');
    await other.getByLabel('The same password again').fill('sam picks a long password');
    await other.getByRole('button', { name: 'Set password and sign in' }).click();
    await other.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    expect(await other.locator('.account').innerText()).toContain('Sam Counter');
  });
});
