import { contactBody, createUser, eventually, signIn, TestUser } from '@mayak/testing';
import { Page } from 'playwright-core';
import {
  newPage,
  pageProblems,
  screenshot,
  signInThroughUi,
  useBrowserStack,
} from './support/browser';

jest.setTimeout(90_000);

/**
 * Stands in for the browser's Notification API (headless Chromium shows nothing): records
 * every notification made and every request for permission, which starts as "not asked".
 */
async function captureNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    type Shown = { title: string; options: unknown; onclick: (() => void) | null; closed: boolean };
    const w = globalThis as unknown as {
      shownNotifications: Shown[];
      permissionRequests: number;
      Notification: unknown;
    };
    w.shownNotifications = [];
    w.permissionRequests = 0;
    // What the person allowed outlives a reload, as the browser's own setting does.
    type Storage = { getItem(k: string): string | null; setItem(k: string, v: string): void };
    const storage = (globalThis as unknown as { sessionStorage: Storage }).sessionStorage;
    class FakeNotification {
      static get permission(): string {
        return storage.getItem('fake-notification-permission') ?? 'default';
      }
      static requestPermission(): Promise<string> {
        w.permissionRequests += 1;
        storage.setItem('fake-notification-permission', 'granted');
        return Promise.resolve('granted');
      }
      title: string;
      options: unknown;
      onclick: (() => void) | null = null;
      closed = false;
      constructor(title: string, options: unknown) {
        this.title = title;
        this.options = options;
        w.shownNotifications.push(this);
      }
      close(): void {
        this.closed = true;
      }
    }
    w.Notification = FakeNotification;
  });
}

type Shown = { title: string; body: string; closed: boolean };
const shownNotifications = (page: Page): Promise<Shown[]> =>
  page.evaluate(() =>
    (
      globalThis as unknown as {
        shownNotifications: { title: string; options: { body: string }; closed: boolean }[];
      }
    ).shownNotifications.map((n) => ({ title: n.title, body: n.options.body, closed: n.closed })),
  );

describe('a responder on a phone (browser)', () => {
  const stack = useBrowserStack({ env: { EMERGENCY_ACK_TIMEOUT_SECONDS: '600' }, worker: true });
  let volunteerToken: string;
  let responder: TestUser;
  /** A second responder on call, for the test in a browser like Android's. */
  let androidResponder: TestUser;

  beforeAll(async () => {
    const coordinator = await signIn(stack.http, await createUser(stack.api.app, ['coordinator']));
    volunteerToken = await signIn(stack.http, await createUser(stack.api.app, ['volunteer']));
    responder = await createUser(stack.api.app, ['responder']);
    androidResponder = await createUser(stack.api.app, ['responder']);
    const now = Date.now();
    for (const person of [responder, androidResponder]) {
      const shift = await stack.http.post(
        '/api/rota/shifts',
        {
          userId: person.id,
          tier: 1,
          startsAt: new Date(now - 3_600_000).toISOString(),
          endsAt: new Date(now + 3_600_000).toISOString(),
        },
        { token: coordinator },
      );
      expect(shift.status).toBe(201);
    }
  });

  it('the header folds into a menu: the button says whether it is open, Escape closes it and gives the focus back; the choice of screen and language are in it', async () => {
    const { context, page } = await newPage(stack.browser, stack.api.url, 'phone');
    try {
      await page.goto('/');
      await signInThroughUi(page, responder);
      await page.getByRole('heading', { name: 'Экстренные случаи' }).waitFor();
      const menuButton = page.getByRole('button', { name: 'Меню' });
      const navigation = page.getByRole('navigation', { name: 'Разделы' });
      expect(await menuButton.getAttribute('aria-expanded')).toBe('false');
      expect(await navigation.isVisible()).toBe(false);

      await menuButton.click();
      expect(await menuButton.getAttribute('aria-expanded')).toBe('true');
      await navigation.waitFor();
      // The focus moved into the menu, onto its first entry.
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Экстренные');
      for (const control of [
        page.getByRole('link', { name: /^Уведомления/ }),
        page.getByRole('button', { name: 'Заблокировать' }),
        page.getByRole('button', { name: 'Выйти' }),
        page.getByRole('button', { name: 'English' }),
      ])
        expect(await control.isVisible()).toBe(true);
      await screenshot(page, 'menu-phone');

      await page.keyboard.press('Escape');
      expect(await menuButton.getAttribute('aria-expanded')).toBe('false');
      expect(await navigation.isVisible()).toBe(false);
      expect(await page.evaluate("document.activeElement.getAttribute('aria-controls')")).toBe(
        'topbar-menu',
      );

      // A screen chosen in the menu opens, and the menu folds away.
      await menuButton.click();
      await navigation.getByRole('link', { name: 'Моя доступность' }).click();
      await page.getByRole('heading', { name: 'Моя доступность' }).waitFor();
      expect(await menuButton.getAttribute('aria-expanded')).toBe('false');

      // In English too.
      await menuButton.click();
      await page.getByRole('button', { name: 'English' }).click();
      const menuInEnglish = page.getByRole('button', { name: 'Menu' });
      expect(await menuInEnglish.getAttribute('aria-expanded')).toBe('true');
      await page
        .getByRole('navigation', { name: 'Sections' })
        .getByRole('link', { name: 'Emergencies' })
        .click();
      await page.getByRole('heading', { name: 'Emergencies' }).waitFor();
      await page.getByRole('button', { name: 'Turn on notifications' }).waitFor();
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: 'Русский' }).waitFor({ state: 'hidden' });

      // On a laptop the same header has no menu button: everything is in view.
      await page.setViewportSize({ width: 1280, height: 720 });
      expect(await menuInEnglish.isVisible()).toBe(false);
      expect(await page.getByRole('navigation', { name: 'Sections' }).isVisible()).toBe(true);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a new page is a card with the countdown and Acknowledge first, is announced by a browser notification without personal data once allowed, and the sound setting survives a reload', async () => {
    const { context, page } = await newPage(stack.browser, stack.api.url, 'phone');
    await context.grantPermissions(['notifications']);
    await captureNotifications(page);
    try {
      await page.goto('/');
      await signInThroughUi(page, responder);
      await page.getByRole('heading', { name: 'Экстренные случаи' }).waitFor();
      const permissionRequests = () =>
        page.evaluate(
          () => (globalThis as unknown as { permissionRequests: number }).permissionRequests,
        );
      // Never asked on load: only the person's own click asks.
      expect(await permissionRequests()).toBe(0);
      await page.getByRole('button', { name: 'Включить уведомления' }).click();
      await page.getByText('Уведомления включены').waitFor();
      expect(await permissionRequests()).toBe(1);

      await page.getByRole('button', { name: 'Включить звук' }).click();
      await page.getByRole('button', { name: 'Звук включён', pressed: true }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Экстренные случаи' }).waitFor();
      await page.getByRole('button', { name: 'Звук включён', pressed: true }).waitFor();

      // Away from the board when the page comes in.
      await page.getByRole('button', { name: 'Меню' }).click();
      await page.getByRole('link', { name: 'Моя доступность' }).click();
      await page.getByRole('heading', { name: 'Моя доступность' }).waitFor();
      const pseudonym = 'Тимур';
      const logged = await stack.http.post(
        '/api/contacts',
        contactBody({
          region: 'RU-CE',
          immediateRisk: true,
          topics: ['violence'],
          services: [],
          caller: {
            pseudonym,
            ageBand: '18-24',
            genderIdentity: 'man',
            orientation: 'gay',
            identifier: '+79991234567',
          },
          summary: 'Родственники увезли, угрожают',
          consent: { scopes: ['service:emergency'], textVersion: '2026-01', retentionDays: 365 },
        }),
        { token: volunteerToken },
      );
      expect(logged.status).toBe(201);

      await page.waitForFunction(
        () =>
          (globalThis as unknown as { shownNotifications: unknown[] }).shownNotifications.length >
          0,
      );
      const [shown] = await shownNotifications(page);
      expect(shown.title).toBe('Маяк: экстренный вызов');
      expect(shown.body).toMatch(/^Подтвердите в течение (10|9) мин\. Откройте Маяк\.$/);
      for (const personal of ['Чечн', pseudonym, '7999', 'Родственники'])
        expect(`${shown.title} ${shown.body}`).not.toContain(personal);

      // Clicking it brings the board.
      await page.evaluate(() =>
        (
          globalThis as unknown as { shownNotifications: { onclick: () => void }[] }
        ).shownNotifications[0].onclick(),
      );
      await page.getByRole('heading', { name: 'Экстренные случаи' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/emergencies');
      expect((await shownNotifications(page))[0].closed).toBe(true);

      // The card: the countdown on top, Acknowledge right under it, the details after.
      const card = page.locator('.board__row').filter({ hasText: 'Чечня' });
      const countdown = await card.getByRole('timer').boundingBox();
      const acknowledge = await card.getByRole('button', { name: 'Подтвердить' }).boundingBox();
      const region = await card.getByText('Чечня').boundingBox();
      const box = await card.boundingBox();
      expect(countdown && acknowledge && region && box).toBeTruthy();
      expect(countdown!.y).toBeLessThan(acknowledge!.y);
      expect(acknowledge!.y).toBeLessThan(region!.y);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
      expect(acknowledge!.height).toBeGreaterThanOrEqual(44);
      await screenshot(page, 'emergency-board-phone-card');

      await card.getByRole('button', { name: 'Подтвердить' }).click();
      await card.getByText(/^Подтверждено вами в \d{2}:\d{2}/).waitFor();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('where the browser refuses new Notification() (Chrome on Android), the page is shown through a service worker that never subscribes to push', async () => {
    const { context, page } = await newPage(stack.browser, stack.api.url, 'phone');
    await context.grantPermissions(['notifications']);
    // Chrome on Android: the permission exists, the constructor throws.
    await page.addInitScript(() => {
      const w = globalThis as unknown as { Notification: { permission: string } };
      const real = w.Notification;
      w.Notification = class {
        static get permission(): string {
          return real.permission;
        }
        constructor() {
          throw new TypeError('Illegal constructor');
        }
      } as unknown as { permission: string };
    });
    try {
      await page.goto('/');
      await signInThroughUi(page, androidResponder);
      await page.getByRole('heading', { name: 'Экстренные случаи' }).waitFor();
      await page.getByText('Уведомления включены').waitFor();
      const logged = await stack.http.post(
        '/api/contacts',
        contactBody({
          region: 'RU-DA',
          immediateRisk: true,
          topics: ['violence'],
          services: [],
          consent: { scopes: ['service:emergency'], textVersion: '2026-01', retentionDays: 365 },
        }),
        { token: volunteerToken },
      );
      expect(logged.status).toBe(201);
      type Shown = { title: string; body: string };
      // The page goes intake → outbox → worker → event stream → service worker: about a second
      // alone, but once over 10 s in CI beside CPU-bound suites; the test's own 90 s bound it.
      const [notification] = await eventually(
        'the worker to show the page',
        async () => {
          const shown: Shown[] = await page.evaluate(`(async () => {
          const registration = await navigator.serviceWorker.getRegistration();
          if (!registration) return [];
          return (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body }));
        })()`);
          return shown.length > 0 && shown;
        },
        30_000,
      );
      expect(notification.title).toBe('Маяк: экстренный вызов');
      expect(notification.body).toMatch(/^Подтвердите в течение (10|9) мин\. Откройте Маяк\.$/);
      expect(notification.body).not.toContain('Дагестан');
      // The worker holds no push subscription, and has no push handler to hold one for.
      expect(
        await page.evaluate(
          '(async () => (await (await navigator.serviceWorker.ready).pushManager.getSubscription()))()',
        ),
      ).toBeNull();
      const worker = await page.request.get('/page-notifications-sw.js');
      expect(worker.status()).toBe(200);
      expect(await worker.text()).not.toMatch(/addEventListener\('push'|pushManager/);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
