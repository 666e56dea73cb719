/** The browser of the console tests: Chromium at /usr/bin/chromium, or MEDBILL_CHROMIUM; and the steps every console test takes. */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Platform } from './harness';

export const CHROMIUM = process.env.MEDBILL_CHROMIUM || '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
}

/** The selector of a `data-test` name. */
export const sel = (name: string) => `[data-test="${name}"]`;

/** A fresh context as a cashier's desk has it (1440×1000, zh-CN, Shanghai time), each wait at most `timeoutMs`. */
export async function newConsoleContext(browser: Browser, timeoutMs = 30_000): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(timeoutMs);
  return context;
}

/** A page in a fresh console context. */
export async function newConsolePage(browser: Browser, timeoutMs = 30_000): Promise<Page> {
  return (await newConsoleContext(browser, timeoutMs)).newPage();
}

/** Opens the login page of the platform at `baseUrl` and submits the user's password (what follows is the caller's to wait for). */
export async function submitLogin(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/console/login`);
  await page.fill(sel('login-username'), username);
  await page.fill(sel('login-password'), password);
  await page.click(sel('login-submit'));
}

/**
 * The platform and Chromium of a test file: `start` runs before the file's tests and Chromium is
 * launched after it; both stop after them. Read `p` and `browser` inside a test (or a helper it calls).
 */
export function withPlatformAndBrowser(start: () => Promise<Platform>): { readonly p: Platform; readonly browser: Browser } {
  let p: Platform | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    p = await start();
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await p?.stop();
  }, 120_000);
  return {
    get p() {
      if (!p) throw new Error('the platform has not started (read it inside a test)');
      return p;
    },
    get browser() {
      if (!browser) throw new Error('Chromium has not started (read it inside a test)');
      return browser;
    },
  };
}

type DomLike = { document: { getAnimations(): Array<{ playState: string }>; querySelector(s: string): { value?: string } | null } };

/** Waits until no CSS animation or transition runs (a dialog's fade-in is over): before a screenshot. */
export async function animationsDone(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as DomLike).document.getAnimations().every((a) => a.playState !== 'running'));
}

/** Waits until the input at `selector` holds `value` (set by the page itself, e.g. a field filled from another). */
export async function inputHolds(page: Page, selector: string, value: string): Promise<void> {
  await page.waitForFunction(([s, v]) => (globalThis as unknown as DomLike).document.querySelector(s)?.value === v, [selector, value] as const);
}

/** A fresh console page signed in as the user (password only), once it has left the login page. */
export async function signedInPage(browser: Browser, baseUrl: string, username: string, password: string, opts: { acceptDownloads?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: opts.acceptDownloads ?? false });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  await submitLogin(page, baseUrl, username, password);
  await page.waitForURL((u) => !u.pathname.endsWith('/login'));
  return page;
}
