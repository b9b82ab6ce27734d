import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import {
  createTestEnvironment,
  freshCode,
  HttpClient,
  RunningApi,
  SoftPasskey,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';
import { Browser, BrowserContext, CDPSession, chromium, Page } from 'playwright-core';

export const SCREENSHOTS = path.resolve(__dirname, '..', '..', '..', 'test-output', 'screenshots');

// Keep in step with test/support/system-tools.mjs, which `npm test` runs first.
const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].filter((p): p is string => Boolean(p));

export function chromiumPath(): string {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      'Browser tests need Chromium: run `sudo apt-get install -y chromium`, or set CHROMIUM_PATH.',
    );
  return found;
}

/** Debian's Chromium, headless, with nothing that would phone home. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * The address pages open the API at: `localhost`, not the 127.0.0.1 it listens on. Browsers
 * refuse WebAuthn on an IP address, and the test API's passkeys belong to `localhost` (its
 * RP ID without PUBLIC_URL); Node's HTTP clients keep 127.0.0.1.
 */
export function pageOrigin(baseURL: string): string {
  const url = new URL(baseURL);
  if (url.hostname === '127.0.0.1') url.hostname = 'localhost';
  return url.origin;
}

/** The two screens every screen is checked on: a laptop's, and a phone's (390×844, touch). */
export const DEVICES = {
  desktop: { viewport: { width: 1280, height: 720 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
} as const;
export type Device = keyof typeof DEVICES;

/** A fresh browser profile (no cookies, no storage), on the laptop screen we design for. */
export async function newPage(
  browser: Browser,
  baseURL: string,
  device: Device = 'desktop',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: pageOrigin(baseURL),
    ...DEVICES[device],
    locale: 'ru-RU',
    timezoneId: 'Europe/Moscow',
  });
  const page = await context.newPage();
  // A CSP violation or a script error is a failure of the page, not noise.
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
      problems.push(`CSP: ${message.text()}`);
  });
  Object.assign(page, { problems });
  return { context, page };
}

/** What went wrong inside the page so far: script errors and CSP refusals. */
export function pageProblems(page: Page): string[] {
  return (page as Page & { problems?: string[] }).problems ?? [];
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** Chromium's virtual authenticator in a page: a passkey device that answers yes at once. */
export interface VirtualAuthenticator {
  cdp: CDPSession;
  authenticatorId: string;
}

const authenticators = new WeakMap<Page, Promise<VirtualAuthenticator>>();

/**
 * The page's virtual authenticator (made on first use, one per page): resident keys, user
 * verification, presence confirmed without a touch. It lives as long as the page, so a passkey
 * registered in it signs in again later in the same page.
 */
export function virtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  let made = authenticators.get(page);
  if (!made) {
    made = (async () => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      });
      return { cdp, authenticatorId };
    })();
    authenticators.set(page, made);
  }
  return made;
}

/**
 * Puts a test user's software passkey into the page's authenticator, as if they had plugged
 * their key in. Its counter is lent (SoftPasskey.lend) so that neither the browser's uses nor
 * later API sign-ins ever show the server a counter that went back.
 */
export async function plugInPasskey(page: Page, passkey: SoftPasskey): Promise<void> {
  if (!passkey.userHandle) throw new Error('plugInPasskey: the passkey was never registered');
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  const credentialId = passkey.credentialId.toString('base64');
  // Plugged in before (a second sign-in in this page): replaced, with a fresh counter.
  await cdp
    .send('WebAuthn.removeCredential', { authenticatorId, credentialId })
    .catch(() => undefined);
  await cdp.send('WebAuthn.addCredential', {
    authenticatorId,
    credential: {
      credentialId,
      isResidentCredential: true,
      rpId: passkey.rpId ?? 'localhost',
      privateKey: passkey.pkcs8Base64(),
      userHandle: Buffer.from(passkey.userHandle, 'base64url').toString('base64'),
      signCount: passkey.lend(),
    },
  });
}

/**
 * Signs in through the form, as a person would: username and password, then their passkey
 * (coordinators and admins: `user.passkey`, plugged into the page's virtual authenticator) or
 * the app's code. A code given explicitly is always typed, passkey or not.
 */
export async function signInThroughUi(page: Page, user: TestUser, code?: string): Promise<void> {
  await page.getByLabel(/^(Имя пользователя|Username)$/).fill(user.username);
  await page.getByLabel(/^(Пароль|Password)$/).fill(user.password);
  if (user.passkey && code === undefined) {
    await plugInPasskey(page, user.passkey);
    await page
      .getByRole('button', { name: /^(Войти с ключом доступа|Sign in with a passkey)$/ })
      .click();
    return;
  }
  await page.getByLabel(/^(Код из приложения|Code from the app)/).fill(code ?? freshCode(user));
  await page.getByRole('button', { name: /^(Войти|Sign in)$/ }).click();
}

/**
 * A fresh profile signed in as `user`, on the screen "/" sends them to. `prepare` runs before
 * the first page load (for init scripts).
 */
export async function signedInPage(
  browser: Browser,
  baseURL: string,
  user: TestUser,
  prepare?: (page: Page) => Promise<void>,
): Promise<{ context: BrowserContext; page: Page }> {
  const opened = await newPage(browser, baseURL);
  await prepare?.(opened.page);
  await opened.page.goto('/');
  await signInThroughUi(opened.page, user);
  await opened.page.getByRole('navigation').waitFor();
  return opened;
}

/** What a browser test runs against: its own database, the API, the worker if asked, Chromium. */
export interface BrowserStack {
  env: TestEnvironment;
  api: RunningApi;
  /** Only with `{ worker: true }`. */
  worker?: INestApplicationContext;
  browser: Browser;
  http: HttpClient;
}

/**
 * Registers the calling describe block's beforeAll and afterAll: starts the stack before its
 * tests and stops it, in reverse order, after them. The fields are filled in by beforeAll.
 */
export function useBrowserStack(
  options: {
    env?: Record<string, string>;
    worker?: boolean;
    /** Runs on the new database before the API starts (an operator's `custody init`). */
    beforeStart?: (env: TestEnvironment) => Promise<void>;
  } = {},
): BrowserStack {
  const stack = {} as BrowserStack;
  beforeAll(async () => {
    stack.env = await createTestEnvironment(options.env);
    await options.beforeStart?.(stack.env);
    stack.api = await startApi(stack.env);
    if (options.worker) stack.worker = await startWorker(stack.env);
    stack.browser = await launchBrowser();
    stack.http = new HttpClient(stack.api.url);
  });
  afterAll(async () => {
    await stack.browser?.close();
    await stack.worker?.close();
    await stack.api?.close();
    await stack.env?.dispose();
  });
  return stack;
}
