import { contactBody, createUser, eventually, signIn } from '@mayak/testing';
import { pageProblems, screenshot, signedInPage, useBrowserStack } from './support/browser';

jest.setTimeout(90_000);

/** The first and last day of this month, as GET /api/stats takes them. */
function thisMonth(): { from: string; to: string } {
  const now = new Date();
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  return {
    from: iso(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))),
    to: iso(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0))),
  };
}

describe('coordinators (browser)', () => {
  const stack = useBrowserStack({ worker: true });

  it('the statistics dashboard draws the charts and shows a withheld cell as "< 10", explained in words', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const coordinatorToken = await signIn(stack.http, coordinator);
    const { from, to } = thisMonth();

    // Written to the statistics contract in API-PLAN.md (issue 5). Until the API serves it,
    // say so instead of testing a screen that can only show an error.
    const probe = await stack.http.get(`/api/stats?from=${from}&to=${to}&period=month`, {
      token: coordinatorToken,
    });
    if (probe.status === 404)
      throw new Error(
        'GET /api/stats answers 404: the statistics API (issue 5) is not on this branch yet. ' +
          'This test is written against its contract in API-PLAN.md and passes once it lands.',
      );
    // Anything else but a 200 fails here with the server's answer in the message.
    expect([probe.status, probe.text]).toEqual([200, expect.any(String)]);

    // Calls about detention from St Petersburg and Moscow, and 3 about violence from Chechnya
    // (below k = 10, so withheld whatever else disclosure control hides to protect it), all
    // with consent to statistics; and 2 without it, which count only in the plain totals.
    const volunteerToken = await signIn(stack.http, volunteer);
    const log = async (region: string, topic: string, scopes: string[]) =>
      expect(
        (
          await stack.http.post(
            '/api/contacts',
            contactBody({
              region,
              topics: [topic],
              services: [],
              outcome: 'information_given',
              consent: { scopes, textVersion: '2026-01', retentionDays: 365 },
            }),
            { token: volunteerToken },
          )
        ).status,
      ).toBe(201);
    for (let i = 0; i < 12; i += 1) await log('RU-SPE', 'detention', ['statistics']);
    for (let i = 0; i < 11; i += 1) await log('RU-MOW', 'detention', ['statistics']);
    for (let i = 0; i < 3; i += 1) await log('RU-CE', 'violence', ['statistics']);
    for (let i = 0; i < 2; i += 1) await log('RU-MOW', 'family', []);
    // Statistics may come from a rollup the worker keeps current: wait until they show.
    await eventually(
      'the breakdown to include the calls from Chechnya',
      async () => {
        const stats = await stack.http.get(
          `/api/stats?from=${from}&to=${to}&period=month&groupBy=region,topic`,
          { token: coordinatorToken },
        );
        return stats.body?.rows?.some((row: { region?: string }) => row.region === 'RU-CE');
      },
      20_000,
      250,
    );

    const { context, page } = await signedInPage(stack.browser, stack.api.url, coordinator);
    try {
      await page.getByRole('link', { name: 'Статистика', exact: true }).click();
      await page.getByRole('heading', { name: 'Статистика', level: 1 }).waitFor();
      // The calls are this month's: the dashboard opens on complete months, so ask up to today.
      const [y, m, d] = to.split('-');
      await page.getByLabel('По', { exact: true }).fill(`${d}.${m}.${y}`);
      await page.getByRole('button', { name: 'Показать', exact: true }).click();
      await page.getByRole('img', { name: 'График: число обращений по периодам' }).waitFor();
      const byRegion = page.getByRole('figure', { name: /^Регион: / });
      await byRegion.getByText('Санкт-Петербург').waitFor();
      const chechnya = page.locator('.stats__table tbody tr').filter({ hasText: 'Чечня' });
      await chechnya.getByRole('cell', { name: '< 10' }).waitFor();
      // The withheld count itself is nowhere on the row, nor a change worked out from it.
      expect(await chechnya.textContent()).toBe('Чечня< 100не сравнить: число скрыто');
      await page.getByText('значит, что число скрыто', { exact: false }).waitFor();
      // The export is fetched (it may ask for the password and code again) and saved as a file.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Скачать CSV' }).last().click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^mayak-.*\.csv$/);
      await screenshot(page, 'statistics');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the assignment board reassigns a waiting case, and the rota editor puts a responder on call', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const psychologist = await createUser(stack.api.app, ['psychologist']);
    const responder = await createUser(stack.api.app, ['responder']);
    // Nobody on shift: the psychological case waits in the pool.
    const logged = await stack.http.post(
      '/api/contacts',
      contactBody({
        region: 'RU-YAR',
        services: ['psych'],
        consent: { scopes: ['service:psych'], textVersion: '2026-01', retentionDays: 365 },
      }),
      { token: await signIn(stack.http, volunteer) },
    );
    expect(logged.status).toBe(201);
    const caseId: string = logged.body.caseIds[0];

    const { context, page } = await signedInPage(stack.browser, stack.api.url, coordinator);
    try {
      await page.getByRole('link', { name: 'Распределение', exact: true }).click();
      const row = page.locator('tbody tr').filter({ hasText: 'Ярославская область' });
      await row.getByText('никто', { exact: true }).waitFor();
      await screenshot(page, 'assignments');
      await row.getByRole('button', { name: 'Переназначить…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Переназначить: Психологическая помощь' });
      await dialog.getByLabel(new RegExp(psychologist.username)).check();
      await dialog.getByRole('button', { name: 'Переназначить' }).click();
      await page.getByText(`Заявка назначена: ${psychologist.username}.`).waitFor();
      await row.getByText(psychologist.username).waitFor();
      const read = await stack.http.get(`/api/cases/${caseId}`, {
        token: await signIn(stack.http, coordinator),
      });
      expect(read.body).toMatchObject({ assigneeId: psychologist.id, status: 'assigned' });
      // Metadata only: the coordinator's case page has no contact and no notes.
      expect(read.body.contact).toBeUndefined();

      await page.getByRole('link', { name: 'Дежурства', exact: true }).click();
      await page.getByRole('heading', { name: 'Дежурства', level: 1 }).waitFor();
      await page.getByText('Сейчас на первом уровне никого нет', { exact: false }).waitFor();
      await page.getByLabel('Кто', { exact: true }).selectOption({ label: responder.username });
      await page.getByRole('button', { name: 'Добавить', exact: true }).click();
      await page.getByText(`Смена добавлена: ${responder.username}.`).waitFor();
      const onCall = page.getByRole('group', { name: 'Кто дежурит сейчас' });
      await onCall.getByText(responder.username).waitFor();
      expect(
        await page.getByText('Сейчас на первом уровне никого нет', { exact: false }).count(),
      ).toBe(0);
      await screenshot(page, 'rota');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
