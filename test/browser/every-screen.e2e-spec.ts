import { readFileSync } from 'node:fs';
import path from 'node:path';
import { contactBody, createUser, eventually, signIn, TestUser } from '@mayak/testing';
import { Cookie, Page } from 'playwright-core';
import { expectAccessible, sidewaysOverflow, smallTapTargets } from './support/accessibility';
import {
  DEVICES,
  Device,
  newPage,
  pageProblems,
  screenshot,
  signInThroughUi,
  useBrowserStack,
} from './support/browser';

/**
 * Every screen of apps/web/src/app/screens.tsx, signed in as each role, on a laptop and on a
 * phone: no serious or critical axe-core violation (the screen and each dialog it opens with a
 * "…" button), nothing scrolling sideways on the phone, nothing on the phone smaller than
 * 44×44 px to tap. The screenshots it leaves (`<screen>-desktop`, `<screen>-phone`) are the
 * README's.
 */
jest.setTimeout(240_000);

type Role = 'volunteer' | 'lawyer' | 'psychologist' | 'responder' | 'coordinator' | 'admin';

/** Each role's screens, in the order of its navigation; `:id` is filled in from the data. */
const SCREENS_OF: Record<Role, string[]> = {
  volunteer: ['/intake', '/referrals', '/passkeys'],
  lawyer: ['/cases', '/cases/:legal', '/availability', '/search', '/notifications', '/passkeys'],
  psychologist: [
    '/cases',
    '/cases/:psych',
    '/availability',
    '/search',
    '/notifications',
    '/passkeys',
  ],
  responder: [
    '/emergencies',
    '/cases/:emergency',
    '/availability',
    '/search',
    '/notifications',
    '/passkeys',
  ],
  coordinator: [
    '/statistics',
    '/assignments',
    '/rota',
    '/emergencies',
    '/search',
    '/role-grants',
    '/withdrawals',
    '/referrals',
    '/cases/:emergency',
    '/notifications',
    '/passkeys',
  ],
  admin: ['/admin/users', '/role-grants', '/passkeys'],
};

/** The screenshot's name of a path: /admin/users → admin-users, /cases/:x → case. */
const screenName = (route: string): string =>
  route.startsWith('/cases/:') ? 'case' : route.slice(1).replace(/\//g, '-');

/** Buttons that start something other than a dialog, though their name ends in "…". */
const NOT_A_DIALOG = /^$/;

describe('every screen, for every role, on a laptop and a phone (browser)', () => {
  const stack = useBrowserStack({ env: { EMERGENCY_ACK_TIMEOUT_SECONDS: '600' }, worker: true });
  const users = {} as Record<Role, TestUser>;
  const ids: Record<string, string> = {};
  /** A screen shared by several roles is photographed once per size, for its first role. */
  const photographed = new Set<string>();

  beforeAll(async () => {
    for (const role of Object.keys(SCREENS_OF) as Role[])
      users[role] = await createUser(stack.api.app, [role]);
    const coordinator = await signIn(stack.http, users.coordinator);
    const now = Date.now();
    const shift = await stack.http.post(
      '/api/rota/shifts',
      {
        userId: users.responder.id,
        tier: 1,
        startsAt: new Date(now - 3_600_000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
      },
      { token: coordinator },
    );
    expect(shift.status).toBe(201);

    const volunteer = await signIn(stack.http, users.volunteer);
    const log = async (body: Record<string, unknown>): Promise<string> => {
      const response = await stack.http.post('/api/contacts', contactBody(body), {
        token: volunteer,
      });
      expect(response.status).toBe(201);
      return (response.body as { caseIds: string[] }).caseIds[0];
    };
    ids.legal = await log({ region: 'RU-MOW' });
    ids.psych = await log({
      region: 'RU-SPE',
      services: ['psych'],
      topics: ['mental_health'],
      consent: { scopes: ['service:psych'], textVersion: '2026-01', retentionDays: 365 },
    });
    ids.emergency = await log({
      region: 'RU-CE',
      immediateRisk: true,
      topics: ['violence'],
      services: [],
      consent: { scopes: ['service:emergency'], textVersion: '2026-01', retentionDays: 365 },
    });
    for (const [role, id] of [
      ['lawyer', ids.legal],
      ['psychologist', ids.psych],
    ] as const) {
      const claimed = await stack.http.post(`/api/cases/${id}/claim`, undefined, {
        token: await signIn(stack.http, users[role]),
      });
      expect(claimed.status).toBe(200);
    }
    // An emergency without emergency consent, escalated later from a legal contact: the board
    // offers break-glass for it, and so its dialog.
    const escalated = await stack.http.post(
      `/api/cases/${await log({ region: 'RU-KDA' })}/escalate`,
      { reason: 'Перезвонил: его везут в ОВД' },
      { token: volunteer },
    );
    expect(escalated.status).toBe(200);
    const responder = await signIn(stack.http, users.responder);
    await eventually('the responder is paged for both', async () => {
      const paged = (
        (await stack.http.get('/api/emergencies', { token: responder })).body as { id: string }[]
      ).map((e) => e.id);
      return paged.includes(ids.emergency) && paged.length === 2;
    });
  });

  it('the list above covers every screen in screens.tsx', () => {
    const source = readFileSync(
      path.resolve(__dirname, '..', '..', 'apps', 'web', 'src', 'app', 'screens.tsx'),
      'utf8',
    );
    const declared = [...source.matchAll(/path: '([^']+)'/g)].map((m) => m[1]);
    const covered = new Set(
      Object.values(SCREENS_OF)
        .flat()
        .map((p) => (p.startsWith('/cases/:') ? '/cases/:id' : p)),
    );
    expect(declared.length).toBeGreaterThan(10);
    expect(declared.filter((p) => !covered.has(p))).toEqual([]);
  });

  it('the checks themselves fail on a nameless button, a tiny target and a page too wide', async () => {
    const { context, page } = await newPage(stack.browser, stack.api.url, 'phone');
    try {
      await page.goto('/');
      await page.getByLabel('Имя пользователя').waitFor();
      await page.evaluate(`{
        const nameless = document.createElement('button');
        nameless.id = 'nameless';
        document.querySelector('main, body').append(nameless);
        const wide = document.createElement('div');
        wide.style.width = '900px';
        wide.style.height = '1px';
        document.body.append(wide);
      }`);
      await expect(expectAccessible(page, 'a planted fault')).rejects.toThrow(/button-name/);
      expect((await sidewaysOverflow(page)).by).toBe(900 - 390);
      expect(await smallTapTargets(page)).toEqual([expect.stringMatching(/^button ""/)]);
    } finally {
      await context.close();
    }
  });

  /** What is wrong with the page as it is now, at this size: axe, overflow, small targets. */
  async function inspect(page: Page, device: Device, where: string): Promise<string[]> {
    const found: string[] = [];
    await expectAccessible(page, where).catch((error: Error) => found.push(error.message));
    if (device === 'phone') {
      const overflow = await sidewaysOverflow(page);
      if (overflow.by > 0)
        found.push(
          `${where}: scrolls sideways by ${overflow.by}px: ${overflow.culprits.join(', ')}`,
        );
      const small = await smallTapTargets(page);
      if (small.length > 0) found.push(`${where}: small tap targets:\n    ${small.join('\n    ')}`);
    }
    return found;
  }

  async function settle(page: Page): Promise<void> {
    await page.locator('main h1').first().waitFor();
    await page.waitForFunction(
      () =>
        !(
          globalThis as unknown as { document: { body: { innerText: string } } }
        ).document.body.innerText.includes('Загрузка…'),
    );
  }

  /** Opens each distinct "…" button of the screen's main part, checks the dialog, closes it. */
  async function dialogsOf(page: Page, device: Device, name: string): Promise<string[]> {
    const found: string[] = [];
    const buttons = page.locator('main button:visible:enabled').filter({ hasText: /…$/ });
    const names = [...new Set((await buttons.allTextContents()).map((n) => n.trim()))].filter(
      (n) => !NOT_A_DIALOG.test(n),
    );
    for (const [index, label] of names.entries()) {
      await buttons.filter({ hasText: label }).first().click();
      const dialog = page.locator('dialog[open]');
      await dialog.waitFor();
      const shot = `${name}-dialog-${index + 1}`;
      if (!photographed.has(`${shot}-${device}`)) {
        photographed.add(`${shot}-${device}`);
        await screenshot(page, `${shot}-${device}`);
      }
      found.push(...(await inspect(page, device, `${name} ${device}, dialog "${label}"`)));
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    }
    return found;
  }

  /**
   * Signs in on the first size; the second size's profile takes over its session cookie, since
   * a person without a passkey can sign in only once or twice in one code's time window.
   */
  /** The header's own dialogs (a coordinator's or admin's duress password and lockdown). */
  async function headerDialogs(page: Page, device: Device): Promise<string[]> {
    const found: string[] = [];
    const openers = [
      page.locator('.topbar__user--button'),
      page.getByRole('button', { name: 'Заблокировать систему' }),
    ];
    for (const [index, opener] of openers.entries()) {
      if (!(await opener.isVisible())) continue;
      await opener.click();
      const dialog = page.locator('dialog[open]');
      await dialog.waitFor();
      const shot = `header-dialog-${index + 1}-${device}`;
      if (!photographed.has(shot)) {
        photographed.add(shot);
        await screenshot(page, shot);
      }
      found.push(...(await inspect(page, device, `header ${device}, dialog ${index + 1}`)));
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    }
    return found;
  }

  async function everyScreen(
    role: Role,
    device: Device,
    session: Cookie[],
  ): Promise<{ found: string[]; session: Cookie[] }> {
    const { context, page } = await newPage(stack.browser, stack.api.url, device);
    const found: string[] = [];
    try {
      await page.goto('/');
      await page.getByLabel('Имя пользователя').waitFor();
      if (!photographed.has(`sign-in-${device}`)) {
        photographed.add(`sign-in-${device}`);
        await screenshot(page, `sign-in-${device}`);
        found.push(...(await inspect(page, device, `sign-in ${device}`)));
      }
      if (session.length > 0) {
        await context.addCookies(session);
        await page.goto('/');
      } else {
        await signInThroughUi(page, users[role]).catch(async (error: Error) => {
          // The setup's API sign-ins used this time step's codes: the next step brings one.
          if (!/no unused TOTP code/.test(error.message)) throw error;
          await page.waitForTimeout(30_000 - (Date.now() % 30_000) + 1_000);
          await signInThroughUi(page, users[role]);
        });
        session = await context.cookies();
      }
      await page.locator('.topbar').waitFor();
      if (device === 'phone') {
        // Each role's menu holds different entries: each is checked open.
        await settle(page);
        const menu = page.getByRole('button', { name: 'Меню' });
        await menu.click();
        await page.getByRole('navigation').waitFor();
        found.push(...(await inspect(page, device, `the menu (${role})`)));
        found.push(...(await headerDialogs(page, device)));
        // The dialogs' own Escape closed only them; this one folds the menu.
        expect(await menu.getAttribute('aria-expanded')).toBe('true');
        await page.keyboard.press('Escape');
        expect(await menu.getAttribute('aria-expanded')).toBe('false');
      } else found.push(...(await headerDialogs(page, device)));
      for (const route of SCREENS_OF[role]) {
        const name = screenName(route);
        const where = `${name} ${device} (${role})`;
        await page.goto(route.replace(/:(\w+)$/, (_, key: string) => ids[key]));
        await settle(page);
        expect(await page.locator('main h1').first().textContent()).not.toBe('Нет доступа');
        if (!photographed.has(`${name}-${device}`)) {
          photographed.add(`${name}-${device}`);
          await screenshot(page, `${name}-${device}`);
        }
        found.push(...(await inspect(page, device, where)));
        found.push(...(await dialogsOf(page, device, name)));
      }
      if (role === 'volunteer' && device === 'phone') {
        // The lock screen, last: locking ends the session the other size shared.
        await page.getByRole('button', { name: 'Меню' }).click();
        await page.getByRole('button', { name: 'Заблокировать' }).click();
        await page.getByText('Экран заблокирован, сеанс завершён.', { exact: false }).waitFor();
        await screenshot(page, 'lock-phone');
        found.push(...(await inspect(page, 'phone', 'the lock screen phone')));
        await page.setViewportSize(DEVICES.desktop.viewport);
        await screenshot(page, 'lock-desktop');
        found.push(...(await inspect(page, 'desktop', 'the lock screen desktop')));
      }
      found.push(...pageProblems(page));
    } finally {
      await context.close();
    }
    return { found, session };
  }

  it.each(Object.keys(SCREENS_OF) as Role[])(
    'a %s’s screens and dialogs pass axe-core on both sizes, and fit a phone',
    async (role) => {
      const found: string[] = [];
      let session: Cookie[] = [];
      for (const device of Object.keys(DEVICES) as Device[]) {
        const visited = await everyScreen(role, device, session);
        found.push(...visited.found);
        session = visited.session;
      }
      expect(found).toEqual([]);
    },
  );
});
