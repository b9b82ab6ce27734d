import { readFile } from 'node:fs/promises';
import { contactBody, createUser, eventually, signIn } from '@mayak/testing';
import type { Locator, Page } from 'playwright-core';
import { pageProblems, screenshot, signedInPage, useBrowserStack } from './support/browser';

jest.setTimeout(180_000);

const pad = (n: number) => String(n).padStart(2, '0');
/** Today in Moscow (STATS_TIMEZONE's default, and the browser's zone in these tests). */
function moscowToday(): { year: number; month: number; day: number } {
  const [year, month, day] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' })
    .format(new Date())
    .split('-')
    .map(Number) as [number, number, number];
  return { year, month, day };
}
/** The first day of the month `back` months before this one, as { year, month }. */
function monthBack(back: number): { year: number; month: number } {
  const { year, month } = moscowToday();
  const d = new Date(Date.UTC(year, month - 1 - back, 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 };
}
const lastDay = (m: { year: number; month: number }) =>
  new Date(Date.UTC(m.year, m.month, 0)).getUTCDate();
const ru = (y: number, m: number, d: number) => `${pad(d)}.${pad(m)}.${y}`;
const en = (y: number, m: number, d: number) => `${pad(d)}/${pad(m)}/${y}`;
const monthName = (m: { year: number; month: number }, locale: string) =>
  new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(m.year, m.month - 1, 1)),
  );

/** The text of the option a select shows. */
const chosenOption = (select: Locator) =>
  select.evaluate(
    (el) =>
      (el as unknown as { selectedOptions: Array<{ textContent: string | null }> })
        .selectedOptions[0]?.textContent ?? null,
  );

/** The text of a table row, its cells joined by " | ", non-breaking spaces as spaces. */
async function rowText(page: Page, name: string): Promise<string> {
  const row = page.locator('.stats__table tbody tr').filter({ hasText: name });
  await row.waitFor();
  const cells = await row.locator('th, td').allTextContents();
  return cells.map((c) => c.replace(/[\u00a0\u202f]/g, ' ')).join(' | ');
}

describe('statistics people can read (browser)', () => {
  const stack = useBrowserStack({ worker: true });

  it('opens on the last complete month beside the month before, marks a partial one, labels the zone, and takes dates as DD.MM.YYYY; in English too', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const volunteerToken = await signIn(stack.http, volunteer);
    const previous = monthBack(1);
    const twoBack = monthBack(2);
    const now = moscowToday();

    // Noon in Moscow on the 10th of a month; calls now are in this (partial) month.
    const log = async (region: string, at: { year: number; month: number } | null) =>
      expect(
        (
          await stack.http.post(
            '/api/contacts',
            contactBody({
              region,
              topics: ['detention'],
              services: [],
              outcome: 'information_given',
              ...(at
                ? { startedAt: new Date(Date.UTC(at.year, at.month - 1, 10, 9)).toISOString() }
                : {}),
              consent: { scopes: ['statistics'], textVersion: '2026-01', retentionDays: 365 },
            }),
            { token: volunteerToken },
          )
        ).status,
      ).toBe(201);
    for (let i = 0; i < 20; i += 1) await log('RU-SPE', previous);
    for (let i = 0; i < 12; i += 1) await log('RU-MOW', previous);
    for (let i = 0; i < 3; i += 1) await log('RU-CE', previous);
    for (let i = 0; i < 15; i += 1) await log('RU-SPE', twoBack);
    for (let i = 0; i < 12; i += 1) await log('RU-MOW', twoBack);
    for (let i = 0; i < 11; i += 1) await log('RU-KDA', null);

    const coordinatorToken = await signIn(stack.http, coordinator);
    const month = (m: { year: number; month: number }) => `${m.year}-${pad(m.month)}`;
    await eventually(
      'the statistics to count the calls of the last two months and of this one',
      async () => {
        // The rollups add new contacts as they arrive, a few seconds' worth at a time: wait
        // for this month's too, or the screen may show some of its calls and not others.
        const stats = await stack.http.get(
          `/api/stats?from=${month(twoBack)}-01&to=${month(now)}-${pad(now.day)}&period=month`,
          { token: coordinatorToken },
        );
        const rows: Array<{ period: string; count: number }> = stats.body?.rows ?? [];
        return (
          rows.find((r) => r.period === month(previous))?.count === 35 &&
          rows.find((r) => r.period === month(twoBack))?.count === 27 &&
          rows.find((r) => r.period === month(now))?.count === 11
        );
      },
      30_000,
      250,
    );
    const answer = await stack.http.get(
      `/api/stats?from=${month(previous)}-01&to=${month(previous)}-01&period=month`,
      { token: coordinatorToken },
    );
    expect(answer.body.timeZone).toBe('Europe/Moscow');

    const { context, page } = await signedInPage(stack.browser, stack.api.url, coordinator);
    try {
      await page.getByRole('link', { name: 'Статистика', exact: true }).click();
      await page.getByRole('heading', { name: 'Статистика', level: 1 }).waitFor();

      // The default: six complete months, ending with the last one; the dates as DD.MM.YYYY.
      const six = monthBack(6);
      expect(await page.getByLabel('С', { exact: true }).inputValue()).toBe(
        ru(six.year, six.month, 1),
      );
      expect(await page.getByLabel('По', { exact: true }).inputValue()).toBe(
        ru(previous.year, previous.month, lastDay(previous)),
      );
      await page.getByText('Формат: ДД.ММ.ГГГГ').first().waitFor();
      await page.getByText('Показан последний полный период', { exact: false }).waitFor();
      expect(await page.locator('.stats__zone').textContent()).toBe(
        'Дни, недели, месяцы и кварталы считаются по часовому поясу: московское время (UTC+3).',
      );
      // The breakdown opens on the last complete month, compared with the one before.
      const focus = page.getByLabel('Период', { exact: true });
      expect(await chosenOption(focus)).toBe(monthName(previous, 'ru-RU'));
      await page.getByRole('heading', { name: 'Разбивка: Регион' }).waitFor();
      await page.getByRole('heading', { name: 'Сравнение с предыдущим периодом' }).waitFor();
      const header = (await page.locator('.stats__table thead th').allTextContents()).join(' | ');
      expect(header).toBe(
        `Регион | ${monthName(previous, 'ru-RU')} | ${monthName(twoBack, 'ru-RU')} | Изменение`,
      );
      expect(await rowText(page, 'Санкт-Петербург')).toBe(
        'Санкт-Петербург | 20 | 15 | +5 (+33,3 %)',
      );
      // Chechnya's 3 calls are withheld, and no change is worked out from them.
      expect(await rowText(page, 'Чечня')).toBe('Чечня | < 10 | 0 | не сравнить: число скрыто');
      expect(
        (await page.getByTestId('stats-total-change').textContent())?.replace(
          /[\u00a0\u202f]/g,
          ' ',
        ),
      ).toBe(
        `${monthName(previous, 'ru-RU')}: 35; ${monthName(twoBack, 'ru-RU')}: 27; изменение: +8 (+29,6 %).`,
      );
      expect(await page.getByText('(неполный)').count()).toBe(0);
      await screenshot(page, 'statistics-comparison');

      // The CSV has the names in Russian beside the codes.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Скачать CSV' }).last().click(),
      ]);
      const csv = await readFile((await download.path())!, 'utf8');
      const lines = csv.split('\r\n');
      expect(lines[0]).toBe('period,region,region_name,count,suppressed');
      expect(lines).toContain(`${month(previous)},RU-SPE,Санкт-Петербург,20,false`);
      expect(lines).toContain(`${month(previous)},RU-CE,Чечня,<10,true`);

      // By week: the range moves to the last complete weeks, the comparison to the last of them.
      const weekday = (new Date(Date.UTC(now.year, now.month - 1, now.day)).getUTCDay() + 6) % 7;
      const sunday = new Date(Date.UTC(now.year, now.month - 1, now.day - weekday - 1));
      const monday = new Date(sunday.getTime() - 6 * 86_400_000);
      const dm = (d: Date) => ru(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
      await page.getByLabel('Шаг', { exact: true }).selectOption({ label: 'Неделя' });
      expect(await page.getByLabel('По', { exact: true }).inputValue()).toBe(dm(sunday));
      await page.getByRole('button', { name: 'Показать', exact: true }).click();
      const lastWeek = `пн ${dm(monday).slice(0, 5)}–вс ${dm(sunday)}`;
      await page
        .getByTestId('stats-total-change')
        .getByText(`${lastWeek}:`, { exact: false })
        .waitFor();
      // The breakdown (by month) opens on the last month those weeks hold whole, not on a
      // month still under way that the last of them began in.
      const dayAfter = new Date(sunday.getTime() + 86_400_000);
      const lastWhole = new Date(
        Date.UTC(dayAfter.getUTCFullYear(), dayAfter.getUTCMonth() - 1, 1),
      );
      expect(await chosenOption(focus)).toBe(
        monthName(
          { year: lastWhole.getUTCFullYear(), month: lastWhole.getUTCMonth() + 1 },
          'ru-RU',
        ),
      );
      // Nothing shown is partial: a month still under way is only offered among the choices.
      expect(
        await page
          .getByText('(неполный)')
          .evaluateAll((els) => els.filter((el) => el.tagName !== 'OPTION').length),
      ).toBe(0);
      await page.getByLabel('Шаг', { exact: true }).selectOption({ label: 'Месяц' });

      // A date that is not one is named; dates typed as DD.MM.YYYY take the range to today.
      const from = page.getByLabel('С', { exact: true });
      await from.fill('31.02.2026');
      await from.blur();
      await page
        .getByText('Это не дата. Введите её как ДД.ММ.ГГГГ, например 05.12.2026.')
        .waitFor();
      await from.fill(ru(previous.year, previous.month, 1));
      await page.getByLabel('По', { exact: true }).fill(ru(now.year, now.month, now.day));
      await page.getByRole('button', { name: 'Показать', exact: true }).click();
      const partial = `${monthName({ year: now.year, month: now.month }, 'ru-RU')} (неполный)`;
      await eventually(
        'the partial month to be chosen',
        async () => (await chosenOption(focus)) === partial,
        10_000,
        100,
      );
      await page.getByText('ещё не закончился, его числа неполные', { exact: false }).waitFor();
      expect(await rowText(page, 'Краснодарский')).toMatch(
        /^Краснодарский край \| 11 \| 0 \| \+11 \(было 0\)$/,
      );
      expect(await from.inputValue()).toBe(ru(previous.year, previous.month, 1));
      await screenshot(page, 'statistics-partial');

      // Every dimension of both measures is offered.
      const dimension = page.getByLabel('Разбивка по', { exact: true });
      expect(await dimension.locator('option').allTextContents()).toEqual([
        'Регион',
        'Тема',
        'Канал',
        'Служба',
        'Итог',
        'Возраст',
        'Гендерная идентичность',
        'Непосредственная угроза',
      ]);
      await page.getByLabel('Что считать', { exact: true }).selectOption({ label: 'Заявки' });
      expect(await dimension.locator('option').allTextContents()).toEqual([
        'Служба',
        'Статус заявки',
        'Итог',
        'Регион',
      ]);
      await page.getByLabel('Что считать', { exact: true }).selectOption({ label: 'Обращения' });
      await dimension.selectOption({ label: 'Канал' });
      await page.getByRole('button', { name: 'Показать', exact: true }).click();
      await page.getByRole('heading', { name: 'Разбивка: Канал' }).waitFor();
      await page.locator('.stats__table tbody tr').filter({ hasText: 'Телефон' }).waitFor();

      // In English: the same, written the English way.
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Statistics', level: 1 }).waitFor();
      expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(
        en(previous.year, previous.month, 1),
      );
      await page.getByText('Format: DD/MM/YYYY').first().waitFor();
      expect(await page.locator('.stats__zone').textContent()).toBe(
        'Days, weeks, months and quarters are counted in Moscow time (UTC+3).',
      );
      expect(await chosenOption(page.getByLabel('Period', { exact: true }))).toBe(
        `${monthName({ year: now.year, month: now.month }, 'en-GB')} (partial)`,
      );
      const englishFrom = page.getByLabel('From', { exact: true });
      await englishFrom.fill('12/31/2026');
      await englishFrom.blur();
      await page
        .getByText('That is not a date. Type it as DD/MM/YYYY, for example 05/12/2026.')
        .waitFor();
      await englishFrom.fill(en(previous.year, previous.month, 1));
      await page.getByLabel('Break down by', { exact: true }).selectOption({ label: 'Region' });
      await page
        .getByLabel('To', { exact: true })
        .fill(en(previous.year, previous.month, lastDay(previous)));
      await page.getByRole('button', { name: 'Show', exact: true }).click();
      await page.getByRole('heading', { name: 'Breakdown: Region' }).waitFor();
      expect(await rowText(page, 'Saint Petersburg')).toBe(
        'Saint Petersburg | 20 | 15 | +5 (+33.3%)',
      );
      expect(await rowText(page, 'Chechnya')).toBe(
        'Chechnya | < 10 | 0 | cannot compare: a count is withheld',
      );
      const [english] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download CSV' }).last().click(),
      ]);
      const englishCsv = await readFile((await english.path())!, 'utf8');
      expect(englishCsv.split('\r\n')).toContain(
        `${month(previous)},RU-SPE,Saint Petersburg,20,false`,
      );
      await screenshot(page, 'statistics-en');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the rota takes a shift’s start and end typed as DD.MM.YYYY HH:MM, 24-hour, in the laptop’s zone', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const responder = await createUser(stack.api.app, ['responder']);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, coordinator);
    try {
      await page.getByRole('link', { name: 'Дежурства', exact: true }).click();
      await page.getByRole('heading', { name: 'Дежурства', level: 1 }).waitFor();
      const starts = page.getByLabel('Начало', { exact: true });
      const ends = page.getByLabel('Конец', { exact: true });
      // The default shows as Russian writes it, never MM/DD/YYYY or AM/PM.
      expect(await starts.inputValue()).toMatch(/^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$/);
      await page
        .getByText('Формат: ДД.ММ.ГГГГ ЧЧ:ММ, 24 часа; ваше время (UTC+3)')
        .first()
        .waitFor();

      const { year, month, day } = moscowToday();
      const tomorrow = new Date(Date.UTC(year, month - 1, day + 1));
      const y = tomorrow.getUTCFullYear();
      const m = tomorrow.getUTCMonth() + 1;
      const d = tomorrow.getUTCDate();
      await starts.fill('13/25/2026 9:00 PM');
      await starts.blur();
      await page.getByText('Это не дата и время.', { exact: false }).waitFor();
      await starts.fill(`${ru(y, m, d)} 21:30`);
      await ends.fill(`${ru(y, m, d)} 23:45`);
      // Up moves the end a day on.
      await ends.press('ArrowUp');
      const after = new Date(Date.UTC(y, m - 1, d + 1));
      expect(await ends.inputValue()).toBe(
        `${ru(after.getUTCFullYear(), after.getUTCMonth() + 1, after.getUTCDate())} 23:45`,
      );
      await page.getByLabel('Кто', { exact: true }).selectOption({ label: responder.username });
      await page.getByRole('button', { name: 'Добавить', exact: true }).click();
      await page.getByText(`Смена добавлена: ${responder.username}.`).waitFor();

      const rota = await stack.http.get('/api/rota', {
        token: await signIn(stack.http, coordinator),
      });
      const shift = rota.body.shifts.find((s: { userId: string }) => s.userId === responder.id);
      // 21:30 in Moscow is 18:30 UTC.
      expect([shift.startsAt, shift.endsAt]).toEqual([
        new Date(Date.UTC(y, m - 1, d, 18, 30)).toISOString(),
        new Date(Date.UTC(y, m - 1, d + 1, 20, 45)).toISOString(),
      ]);
      await screenshot(page, 'rota-dates');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
