import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { AxeBuilder } from '@axe-core/playwright';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const artifactsDir = path.join(root, 'tests/artifacts');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's chromium (apt-get install chromium), headless, on a fresh profile removed afterwards. */
export async function launchChromium(): Promise<TestBrowser> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'kometpay-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** axe-core's WCAG 2.x A and AA rules on the page as it is now: the violations, briefly. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  return violations.map(
    (violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`,
  );
}

/** A full-page screenshot under tests/artifacts/checkout/, and (UPDATE_SCREENSHOTS=1) copies at the given repository paths. */
export async function screenshot(page: Page, name: string, ...copies: string[]): Promise<void> {
  await mkdir(path.join(artifactsDir, 'checkout'), { recursive: true });
  const image = await page.screenshot({ path: path.join(artifactsDir, 'checkout', `${name}.png`), fullPage: true, animations: 'disabled' });
  // The docs' pictures (apps/checkout/docs/*.png) change only when asked for: a test run leaves the working tree as it was.
  if (process.env.UPDATE_SCREENSHOTS === '1') for (const copy of copies) await writeFile(path.join(root, copy), image);
}

export interface ScriptLog {
  /** Each JavaScript file the page loaded, with its gzip size (level 9, as adapter-node precompresses). */
  scripts(): Promise<{ url: string; gzipBytes: number }[]>;
}

/** Starts recording the JavaScript a page loads (call before navigating). */
export function recordScripts(page: Page): ScriptLog {
  const bodies: Promise<{ url: string; gzipBytes: number }>[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'script') return;
    bodies.push(response.body().then((body) => ({ url: response.url(), gzipBytes: gzipSync(body, { level: 9 }).length })));
  });
  return { scripts: () => Promise.all(bodies) };
}

/** A page a test opened, with what its console reported (CSP violations, script errors, hydration warnings). */
export interface WatchedPage {
  page: Page;
  problems: string[];
}

/**
 * Opens a page whose console is watched; the test's afterEach closes `opened` and expects no
 * problems. A failed load (a refused tokenisation, an unknown link's 404 or 429) is expected here.
 */
export async function openWatchedPage(browser: TestBrowser, opened: WatchedPage[], viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (['error', 'warning'].includes(message.type()) && !message.text().startsWith('Failed to load resource'))
      problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  opened.push({ page, problems });
  return page;
}

/** Types a test card (any expiry in the future, CVC 123) into the card form. */
export async function fillCard(page: Page, number: string): Promise<void> {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry month').fill('12');
  await page.getByLabel('Expiry year').fill('2034');
  await page.getByLabel('Security code').fill('123');
}

export const heading = (page: Page, name: string) => page.getByRole('heading', { name }).waitFor({ timeout: 10_000 });
export const focusedId = (page: Page) => page.locator(':focus').getAttribute('id');
export const text = (page: Page, selector: string) => page.locator(selector).innerText();
