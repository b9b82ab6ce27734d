import { createUser, signIn } from '@mayak/testing';
import type { Route } from 'playwright-core';
import { pageProblems, screenshot, signedInPage, useBrowserStack } from './support/browser';

jest.setTimeout(120_000);

const ZONE = 'Europe/Moscow';

/** The wall clock in the helpline's zone: DD.MM.YYYY, YYYY-MM-DD, ISO weekday, HH:MM. */
function moscow(at: Date) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    shown: `${parts.day}.${parts.month}.${parts.year}`,
    iso: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday) + 1,
    time: `${parts.hour}:${parts.minute}`,
  };
}

const WEEKDAYS_RU = [
  'Понедельник',
  'Вторник',
  'Среда',
  'Четверг',
  'Пятница',
  'Суббота',
  'Воскресенье',
];

describe('the rota as a week with recurring shifts (browser)', () => {
  const stack = useBrowserStack();

  it('a coordinator adds a weekly shift, sees it in the week, skips, restores and replaces one occurrence', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const regular = await createUser(stack.api.app, ['responder']);
    const standIn = await createUser(stack.api.app, ['responder']);
    // Began an hour ago (Moscow wall clock), or at midnight if that was yesterday (the week
    // shown is today's), for three hours.
    const hourAgo = moscow(new Date(Date.now() - 3_600_000));
    const todayNow = moscow(new Date());
    const start = hourAgo.iso === todayNow.iso ? hourAgo : { ...todayNow, time: '00:00' };
    const nextWeek = moscow(new Date(Date.now() + 7 * 86_400_000));

    const { context, page } = await signedInPage(stack.browser, stack.api.url, coordinator);
    try {
      await page.getByRole('link', { name: 'Дежурства', exact: true }).click();
      await page.getByRole('heading', { name: 'Дежурства', level: 1 }).waitFor();
      await page.getByText('Время — по часовому поясу Europe/Moscow.').waitFor();
      await page.getByText('Сейчас на первом уровне никого нет', { exact: false }).waitFor();

      // Plain fields, checked before the server is asked.
      const form = page.locator('form', { hasText: 'Повторяющаяся смена' });
      await form.getByLabel('Начало, ЧЧ:ММ').fill('25:00');
      await form.getByLabel('Длительность, часов').fill('0');
      await form.getByLabel('С даты').fill('31.02.2026');
      await form.getByRole('button', { name: 'Добавить повторяющуюся смену' }).click();
      await form.getByText('Выберите, кто дежурит.').waitFor();
      await form.getByText('Время в формате ЧЧ:ММ, например 09:00.').waitFor();
      await form.getByText('Число часов от 0,25 до 168.').waitFor();
      await form.getByText('Дата в формате ДД.ММ.ГГГГ.').waitFor();

      await form.getByLabel('Уровень смены').selectOption({ label: 'Уровень 1' });
      await form.getByLabel('Кто дежурит').selectOption({ label: regular.username });
      await form.getByLabel('День недели').selectOption({ label: WEEKDAYS_RU[start.weekday - 1] });
      await form.getByLabel('Начало, ЧЧ:ММ').fill(start.time);
      await form.getByLabel('Длительность, часов').fill('3');
      await form.getByLabel('С даты').fill(start.shown);
      await form.getByRole('button', { name: 'Добавить повторяющуюся смену' }).click();
      await page.getByText(`Повторяющаяся смена добавлена: ${regular.username}.`).waitFor();

      // On call now, and a block in its day's column of this week.
      const now = page.getByRole('group', { name: 'Кто дежурит сейчас' });
      await now.getByText(regular.username).waitFor();
      const week = page.getByRole('region', { name: /^Неделя / });
      const day = week.getByRole('region', { name: new RegExp(start.shown.replace(/\./g, '\\.')) });
      const block = day.getByRole('button', { name: new RegExp(regular.username) });
      await block.getByText('еженедельно').waitFor();
      // Today's column is marked for assistive technology too.
      const today = moscow(new Date()).shown.replace(/\./g, '\\.');
      expect(
        await week
          .locator('[aria-current="date"]')
          .getByRole('heading', { name: new RegExp(today) })
          .count(),
      ).toBe(1);
      await block.getByText(new RegExp(`^${start.time}–`)).waitFor();
      await week.scrollIntoViewIfNeeded();
      await screenshot(page, 'rota-week');

      // Keyboard: the block is a button; Enter opens what can be done to this occurrence.
      await block.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', {
        name: `Смена: ${regular.username}, ${start.shown}`,
      });
      await dialog.waitFor();
      await screenshot(page, 'rota-occurrence');
      await dialog.getByRole('button', { name: 'Пропустить эту смену' }).click();
      await page.getByText(`Смена ${start.shown} пропущена.`).waitFor();
      await day.getByRole('button', { name: /пропущена/ }).waitFor();
      await page.getByText('Сейчас на первом уровне никого нет', { exact: false }).waitFor();
      const token = await signIn(stack.http, coordinator);
      const rota = await stack.http.get('/api/rota', { token });
      // The skipped occurrence is gone from what the pager reads; next week's is still there.
      const mine = rota.body.onCall.filter((o: { userId: string }) => o.userId === regular.id);
      expect(mine.map((o: { occursOn: string }) => o.occursOn)).not.toContain(start.iso);
      expect(mine.map((o: { occursOn: string }) => o.occursOn)).toContain(nextWeek.iso);

      // Restored from the skipped block.
      await day.getByRole('button', { name: /пропущена/ }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Вернуть как было' }).click();
      await page.getByText(`Смена ${start.shown} восстановлена.`).waitFor();
      await now.getByText(regular.username).waitFor();

      // Replaced by a stand-in.
      await block.click();
      await dialog.getByLabel('Заменить на').selectOption({ label: standIn.username });
      await dialog.getByRole('button', { name: 'Заменить', exact: true }).click();
      await page.getByText(`Смену ${start.shown} берёт ${standIn.username}.`).waitFor();
      const replaced = day.getByRole('button', { name: new RegExp(standIn.username) });
      await replaced.getByText('замена').waitFor();
      await now.getByText(standIn.username).waitFor();

      // Next week: the same weekday has the regular responder again; then back.
      await week.getByRole('button', { name: 'Следующая неделя' }).click();
      const later = week.getByRole('region', {
        name: new RegExp(nextWeek.shown.replace(/\./g, '\\.')),
      });
      await later
        .getByRole('button', { name: new RegExp(regular.username) })
        .getByText('еженедельно')
        .waitFor();
      expect(await later.getByRole('button', { name: new RegExp(standIn.username) }).count()).toBe(
        0,
      );
      // A Sunday evening's shift that runs past midnight is still on when next week begins:
      // next Monday shows it, the stand-in's (this once); no other day of next week does.
      const intoNextWeek = start.weekday === 7 && start.time > '21:00';
      expect(await week.getByRole('button', { name: new RegExp(standIn.username) }).count()).toBe(
        intoNextWeek ? 1 : 0,
      );
      await week.getByRole('button', { name: 'Текущая неделя' }).click();
      await day.getByRole('button', { name: new RegExp(standIn.username) }).waitFor();

      // The series itself is listed, and removing it empties the week. The week's answer is
      // held back here: the confirmation must still not show beside the removed shifts.
      const series = page.getByRole('region', { name: 'Повторяющиеся смены' });
      await series.getByText(`${WEEKDAYS_RU[start.weekday - 1]}, ${start.time}, 3 ч`).waitFor();
      await series
        .getByRole('button', { name: `Удалить повторяющуюся смену: ${regular.username}` })
        .click();
      const slowWeek = async (route: Route) => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await route.continue();
      };
      await page.route('**/api/rota?from=*', slowWeek);
      await page.getByRole('dialog').getByRole('button', { name: 'Удалить' }).click();
      await page.getByText(`Повторяющаяся смена удалена: ${regular.username}.`).waitFor();
      await page.unroute('**/api/rota?from=*', slowWeek);
      await series.getByText('Повторяющихся смен нет.').waitFor();
      expect(await week.getByRole('button', { name: new RegExp(standIn.username) }).count()).toBe(
        0,
      );

      // The same screen in English.
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Recurring shift', exact: true }).waitFor();
      await page.getByText('Times are in the Europe/Moscow time zone.').waitFor();
      await page.getByRole('button', { name: 'Next week' }).waitFor();
      await page.getByLabel('Start, HH:MM').waitFor();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
