import { ExactTimes } from '@mayak/platform';
import { contactBody, createUser, signIn, type TestUser } from '@mayak/testing';
import { pageProblems, screenshot, signedInPage, useBrowserStack } from './support/browser';

jest.setTimeout(120_000);

const DAY = 86_400_000;

/**
 * Searching cases, a caller's history at intake, earlier cases on a case, who an emergency
 * pages, and overdue emergencies on the board (issue 13.3–13.4), in Russian first.
 */
describe('search and caller history (browser)', () => {
  const stack = useBrowserStack();
  let volunteerToken: string;
  let coordinator: TestUser;

  /** Moves one of a case's times, as open work keeps it: the week in the clear, the moment sealed. */
  const setTime = async (caseId: string, column: 'created_at' | 'due_at', at: Date) => {
    const { week, sealed } = stack.api.app
      .get(ExactTimes)
      .seal({ table: 'cases', id: caseId, column }, at);
    const enc = column === 'created_at' ? 'created_enc' : 'due_enc';
    await stack.env.db.query(`UPDATE cases SET ${column} = $2, ${enc} = $3 WHERE id = $1`, [
      caseId,
      week,
      sealed,
    ]);
  };
  const log = async (overrides: Record<string, unknown> = {}): Promise<string[]> => {
    const response = await stack.http.post('/api/contacts', contactBody(overrides), {
      token: volunteerToken,
    });
    expect(response.status).toBe(201);
    return response.body.caseIds as string[];
  };
  const claim = async (caseId: string, token: string) =>
    expect((await stack.http.post(`/api/cases/${caseId}/claim`, undefined, { token })).status).toBe(
      200,
    );

  beforeAll(async () => {
    volunteerToken = await signIn(stack.http, await createUser(stack.api.app, ['volunteer']));
    coordinator = await createUser(stack.api.app, ['coordinator']);
  });

  it('a lawyer filters, sorts and pages their cases from the keyboard; the address holds codes only', async () => {
    const lawyer = await createUser(stack.api.app, ['lawyer']);
    const token = await signIn(stack.http, lawyer);
    // 26 Moscow cases about violence, and one St Petersburg case about detention, overdue.
    for (let i = 0; i < 26; i++) {
      const [id] = await log({ region: 'RU-MOW', topics: ['violence'] });
      await claim(id, token);
    }
    const [spb] = await log({ region: 'RU-SPE', topics: ['detention'] });
    await claim(spb, token);
    await setTime(spb, 'created_at', new Date(Date.now() - 10 * DAY));
    await setTime(spb, 'due_at', new Date(Date.now() - 8 * DAY));

    const { context, page } = await signedInPage(stack.browser, stack.api.url, lawyer);
    try {
      await page.getByRole('link', { name: 'Заявки', exact: true }).click();
      await page.getByRole('link', { name: 'Поиск по моим заявкам' }).click();
      await page.getByRole('heading', { name: 'Поиск заявок', level: 1 }).waitFor();
      const count = page.getByRole('status').filter({ hasText: /Найдено|Найдена|Ничего/ });
      await count.getByText('Найдено 27 заявок, показаны 1–25.').waitFor();
      await page.getByText('Страница 1 из 2').waitFor();
      await page.getByRole('button', { name: 'Дальше' }).click();
      await count.getByText('Найдено 27 заявок, показаны 26–27.').waitFor();

      // The filters are a form: region, the overdue box with the space bar, Enter on the button.
      const search = page.getByRole('search', { name: 'Фильтры поиска' });
      await search.getByLabel('Регион').selectOption('RU-SPE');
      await search.getByLabel('Только просроченные').focus();
      await page.keyboard.press('Space');
      await search.getByRole('button', { name: 'Найти' }).focus();
      await page.keyboard.press('Enter');
      await count.getByText('Найдена 1 заявка, показаны 1–1.').waitFor();
      const rows = page.locator('.case-search__results tbody tr');
      expect(await rows.count()).toBe(1);
      await rows.first().getByText('Санкт-Петербург').waitFor();
      await rows.first().getByText('срок прошёл').waitFor();
      const address = new URL(page.url());
      expect(Object.fromEntries(address.searchParams)).toEqual({
        scope: 'mine',
        region: 'RU-SPE',
        overdue: 'true',
      });
      await screenshot(page, 'case-search');

      // Dates are typed in Russian (DD.MM.YYYY); the address keeps the day as YYYY-MM-DD.
      await search.getByRole('button', { name: 'Сбросить' }).click();
      const fiveDaysAgo = new Date(Date.now() - 5 * DAY);
      const typed = [fiveDaysAgo.getDate(), fiveDaysAgo.getMonth() + 1]
        .map((n) => String(n).padStart(2, '0'))
        .concat(String(fiveDaysAgo.getFullYear()))
        .join('.');
      await search.getByLabel('Поступила по', { exact: true }).fill(typed);
      await search.getByRole('button', { name: 'Найти' }).click();
      await count.getByText('Найдена 1 заявка, показаны 1–1.').waitFor();
      expect(new URL(page.url()).searchParams.get('openedTo')).toMatch(/^\d{4}-\d{2}-\d{2}$/);

      // By topic, oldest first: the arrow keys walk the results, Enter opens one.
      await search.getByRole('button', { name: 'Сбросить' }).click();
      await count.getByText('Найдено 27 заявок, показаны 1–25.').waitFor();
      await search.getByLabel('Тема').selectOption('violence');
      await search.getByLabel('Порядок').selectOption('asc');
      await search.getByRole('button', { name: 'Найти' }).click();
      await count.getByText('Найдено 26 заявок, показаны 1–25.').waitFor();
      const links = page.locator('.case-search__results tbody a');
      const focusedHref = () => page.locator(':focus').getAttribute('href');
      await links.first().focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      expect(await focusedHref()).toBe(await links.nth(2).getAttribute('href'));
      await page.keyboard.press('ArrowUp');
      expect(await focusedHref()).toBe(await links.nth(1).getAttribute('href'));
      await page.keyboard.press('End');
      expect(await focusedHref()).toBe(await links.nth(24).getAttribute('href'));
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: /Заявка: Юридическая помощь/, level: 1 }).waitFor();

      // Back: the results and the form follow the address.
      await page.goBack();
      await count.getByText('Найдено 26 заявок, показаны 1–25.').waitFor();
      expect(await search.getByLabel('Тема').inputValue()).toBe('violence');
      await page.goBack();
      await count.getByText('Найдено 27 заявок, показаны 1–25.').waitFor();
      expect(await search.getByLabel('Тема').inputValue()).toBe('');

      // On a phone: the form and the results fit the width (the table scrolls in its frame).
      await page.setViewportSize({ width: 390, height: 844 });
      for (const part of ['form[role="search"]', '.case-search__count', '.table-wrap']) {
        const box = await page.locator(part).first().boundingBox();
        expect({ part, right: Math.round(box!.x + box!.width) <= 390 }).toEqual({
          part,
          right: true,
        });
      }
      await screenshot(page, 'case-search-phone');
      await page.setViewportSize({ width: 1280, height: 720 });

      // The same screen in English.
      await page.goForward();
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Search cases', level: 1 }).waitFor();
      await page.getByText('26 cases found, showing 1–25.').waitFor();
      await page.getByRole('button', { name: 'Русский' }).click();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a coordinator searches every case’s metadata, with no topic filter, and sees an unacknowledged emergency flagged on the board', async () => {
    // An emergency nobody acknowledged, past its deadline (no worker runs: nobody is paged).
    const [emergency] = await log({
      region: 'RU-CE',
      immediateRisk: true,
      services: [],
      consent: { scopes: ['service:emergency'], textVersion: '2026-01', retentionDays: 365 },
    });
    await setTime(emergency, 'due_at', new Date(Date.now() - 60_000));
    const [acknowledgedLater] = await log({ region: 'RU-SPE' });

    const { context, page } = await signedInPage(stack.browser, stack.api.url, coordinator);
    try {
      await page.getByRole('link', { name: 'Распределение', exact: true }).click();
      await page
        .getByText('1 экстренный случай никто не подтвердил вовремя. Вмешайтесь сейчас.')
        .waitFor();
      const flagged = page.locator('tr.assignments__overdue');
      expect(await flagged.count()).toBe(1);
      await flagged.getByText('не подтверждён вовремя').waitFor();
      await flagged.getByText('Чечня').waitFor();
      // First in the list.
      expect(
        await page
          .locator('.table-wrap:not(.assignments__summary) tbody tr')
          .nth(0)
          .getAttribute('class'),
      ).toContain('assignments__overdue');
      await screenshot(page, 'assignments-overdue-emergency');

      await page.getByRole('link', { name: 'Поиск заявок', exact: true }).click();
      await page.getByRole('heading', { name: 'Поиск заявок', level: 1 }).waitFor();
      await page.getByText('Все заявки, только метаданные', { exact: false }).waitFor();
      const search = page.getByRole('search', { name: 'Фильтры поиска' });
      expect(await search.getByLabel('Тема').count()).toBe(0);
      await search.getByLabel('Регион').selectOption('RU-CE');
      await search.getByRole('button', { name: 'Найти' }).click();
      await page.getByText('Найдена 1 заявка, показаны 1–1.').waitFor();
      expect(await page.locator('.case-search__results thead th').allTextContents()).not.toContain(
        'Темы',
      );
      await screenshot(page, 'case-search-coordinator');
      expect(acknowledgedLater).toBeTruthy();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a volunteer typing a number sees the caller’s earlier contacts as consent allows, and who an emergency pages', async () => {
    const phone = '+79001230077';
    const caller = { ...contactBody().caller, identifier: phone };
    await log({
      caller,
      startedAt: new Date(Date.now() - 3 * DAY).toISOString(),
      outcome: 'referred',
    });
    await log({
      caller,
      startedAt: new Date(Date.now() - 2 * DAY).toISOString(),
      services: [],
      outcome: 'information_given',
      consent: { scopes: ['statistics'], textVersion: '2026-01', retentionDays: 365 },
    });
    // Consent to nothing: not shown, only counted.
    await log({
      caller,
      startedAt: new Date(Date.now() - DAY).toISOString(),
      services: [],
      outcome: 'other',
      consent: { scopes: [], textVersion: '2026-01', retentionDays: 365 },
    });

    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, volunteer);
    try {
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      await page.getByLabel('Телефон или ник').fill('8 900 123-00-77');
      const history = page.getByRole('table', { name: 'Прежние обращения этого абонента' });
      await history.waitFor();
      const rows = history.locator('tbody tr');
      expect(await rows.count()).toBe(2);
      await rows.nth(0).getByText('без услуг').waitFor();
      await rows.nth(0).getByText('Дана информация').waitFor();
      await rows.nth(1).getByText('Юридическая помощь').waitFor();
      await page
        .getByText(
          'Ещё 1 обращение не показано: абонент не давал на него согласия или отозвал его.',
        )
        .waitFor();
      // A date, never a time.
      expect(await history.textContent()).not.toMatch(/\d{1,2}:\d{2}/);
      await screenshot(page, 'intake-caller-history');

      // An emergency with nobody on the rota: the coordinators are paged, and the form says so.
      await page.getByLabel('Телефон или ник').fill('');
      await page.getByLabel('Регион').focus();
      await page.keyboard.type('чечн');
      await page.keyboard.press('Tab');
      await page.getByRole('switch', { name: 'Непосредственная угроза жизни или свободе' }).click();
      await page.getByLabel(/Передать дежурному/).check();
      await page.getByRole('button', { name: /^Сохранить обращение/ }).click();
      await page
        .getByText(
          'Экстренный случай создан. На первой и второй линиях сейчас никто не дежурит: вызов получают координаторы.',
        )
        .waitFor();
      await screenshot(page, 'intake-emergency-paged-coordinators');

      await page.getByRole('button', { name: 'English' }).click();
      await page.getByLabel('Phone or handle').fill(phone);
      await page.getByRole('table', { name: 'This caller’s earlier contacts' }).waitFor();
      await page.getByRole('button', { name: 'Русский' }).click();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a lawyer sees the caller’s earlier legal cases on a case, their own to open', async () => {
    const lawyer = await createUser(stack.api.app, ['lawyer']);
    const token = await signIn(stack.http, lawyer);
    const caller = { ...contactBody().caller, identifier: '+79001230088' };
    const [earlier] = await log({ caller });
    await claim(earlier, token);
    await stack.http.post(`/api/cases/${earlier}/close`, { outcome: 'resolved' }, { token });
    const [today] = await log({ caller });
    await claim(today, token);

    const { context, page } = await signedInPage(stack.browser, stack.api.url, lawyer);
    try {
      await page.goto(`/cases/${today}`);
      const panel = page.getByRole('region', { name: 'Прежние заявки этого абонента' });
      await panel.waitFor();
      const link = panel.getByRole('link');
      await link.waitFor();
      expect(await link.textContent()).toMatch(/Закрыта/);
      expect(await panel.textContent()).not.toMatch(/\d{1,2}:\d{2}/);
      await screenshot(page, 'case-earlier-cases');
      await link.click();
      await page.waitForURL(`**/cases/${earlier}`);
      await page.getByRole('region', { name: 'Прежние заявки этого абонента' }).waitFor();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
