import { contactBody, createUser, signIn } from '@mayak/testing';
import { pageProblems, screenshot, signedInPage, useBrowserStack } from './support/browser';

jest.setTimeout(90_000);

describe('lawyers and psychologists at work (browser)', () => {
  const stack = useBrowserStack({ worker: true });

  it('a call logged with consent to legal help reaches the lawyer on shift, who adds a note and closes it; the volunteer cannot open the case', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const lawyer = await createUser(stack.api.app, ['lawyer']);

    // The lawyer goes on shift on their availability screen.
    const { context: lawyerContext, page: lawyerPage } = await signedInPage(
      stack.browser,
      stack.api.url,
      lawyer,
    );
    const { context: volunteerContext, page: volunteerPage } = await signedInPage(
      stack.browser,
      stack.api.url,
      volunteer,
    );
    try {
      await lawyerPage.getByRole('heading', { name: 'Заявки', level: 1 }).waitFor();
      await lawyerPage.getByText('Сейчас у вас нет открытых заявок.').waitFor();
      await lawyerPage.getByRole('link', { name: 'Моя доступность', exact: true }).click();
      await lawyerPage.getByRole('switch', { name: /На смене/ }).click();
      await lawyerPage.getByRole('button', { name: 'Сохранить', exact: true }).click();
      await lawyerPage.getByText('Сохранено: вы на смене.').waitFor();
      await screenshot(lawyerPage, 'availability');
      await lawyerPage.getByRole('link', { name: 'Заявки', exact: true }).click();
      await lawyerPage.getByText('Сейчас у вас нет открытых заявок.').waitFor();

      // The caller has called once before (logged by someone else, last week's shift).
      const phone = '+7 912 555-01-23';
      const earlier = await stack.http.post(
        '/api/contacts',
        contactBody({ caller: { identifier: phone }, services: [], outcome: 'information_given' }),
        { token: await signIn(stack.http, await createUser(stack.api.app, ['volunteer'])) },
      );
      expect(earlier.status).toBe(201);

      // The volunteer logs the call: legal help, with the caller's consent.
      const summary = 'Задержали после акции, просит адвоката';
      await volunteerPage.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      await volunteerPage.getByLabel('Телефон или ник').fill(phone);
      await volunteerPage.getByText('Повторное обращение: раньше было 1 обращение.').waitFor();
      await volunteerPage.getByLabel('Регион').focus();
      await volunteerPage.keyboard.type('казан');
      await volunteerPage.keyboard.press('Tab');
      await volunteerPage.getByLabel('Темы').focus();
      await volunteerPage.keyboard.type('задер');
      await volunteerPage.keyboard.press('Enter');
      await volunteerPage.getByLabel('Юридическая помощь').check();
      await volunteerPage.getByLabel(/Передать юристу/).check();
      await volunteerPage.getByLabel('Краткое описание').fill(summary);
      await volunteerPage.getByRole('button', { name: /^Сохранить обращение/ }).click();
      await volunteerPage.getByText('Обращение сохранено.', { exact: false }).waitFor();
      const mine = volunteerPage.locator('.mine tbody tr');
      await mine.filter({ hasText: summary }).waitFor();

      // Routing gives it to the lawyer on shift: it appears in "my cases" without a reload.
      const row = lawyerPage.locator('.cases__mine tbody tr').filter({ hasText: 'Татарстан' });
      await row.waitFor();
      expect(await row.textContent()).toContain('Задержание');
      await lawyerPage.getByRole('link', { name: /Уведомления: 1 новое/ }).waitFor();
      await screenshot(lawyerPage, 'cases-lawyer');

      await row.getByRole('link').click();
      await lawyerPage.getByRole('heading', { name: 'Заявка: Юридическая помощь' }).waitFor();
      await lawyerPage.getByText(summary).waitFor();
      const caseId = lawyerPage.url().split('/cases/')[1] ?? '';
      expect(caseId).toMatch(/^[0-9a-f-]{36}$/);

      await lawyerPage.getByRole('button', { name: 'Принять в работу' }).click();
      await lawyerPage.getByText('Заявка в работе.').waitFor();
      await lawyerPage.getByLabel('Новая запись').fill('Связалась с адвокатом, выезжает в ОВД.');
      await lawyerPage.getByRole('button', { name: /^Добавить запись/ }).click();
      await lawyerPage.locator('.note__text').getByText('Связалась с адвокатом').waitFor();
      await lawyerPage.locator('.timeline').getByText('Добавлена запись').waitFor();
      await lawyerPage.evaluate(() =>
        (globalThis as unknown as { scrollTo: (x: number, y: number) => void }).scrollTo(0, 0),
      );
      await screenshot(lawyerPage, 'case-lawyer');

      await lawyerPage.getByRole('button', { name: 'Закрыть…' }).click();
      const dialog = lawyerPage.getByRole('dialog', { name: 'Закрыть заявку' });
      await dialog.getByLabel('Решено').check();
      await dialog.getByRole('button', { name: 'Закрыть заявку' }).click();
      await lawyerPage.getByText('Заявка закрыта.').waitFor();
      await lawyerPage.locator('.case__header .status').getByText('Закрыта').waitFor();
      // Closed: nothing left to do, and nothing more to write.
      expect(await lawyerPage.getByRole('button', { name: 'Закрыть…' }).count()).toBe(0);
      expect(await lawyerPage.getByLabel('Новая запись').count()).toBe(0);

      // The notification that brought the case, now in the list.
      await lawyerPage.getByRole('link', { name: /^Уведомления/ }).click();
      await lawyerPage.getByRole('link', { name: 'Вам назначена заявка' }).waitFor();
      await screenshot(lawyerPage, 'notifications');

      // A volunteer typing the case's address: the UI refuses, and so does the API.
      await volunteerPage.goto(`/cases/${caseId}`);
      await volunteerPage.getByRole('heading', { name: 'Нет доступа' }).waitFor();
      expect(await volunteerPage.getByText(summary).count()).toBe(0);
      const volunteerToken = await signIn(stack.http, volunteer);
      expect((await stack.http.get(`/api/cases/${caseId}`, { token: volunteerToken })).status).toBe(
        404,
      );

      expect(pageProblems(lawyerPage)).toEqual([]);
      expect(pageProblems(volunteerPage)).toEqual([]);
    } finally {
      await lawyerContext.close();
      await volunteerContext.close();
    }
  });

  it('claiming from the pool takes one click, and says so plainly when someone else was faster', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const fast = await createUser(stack.api.app, ['psychologist']);
    const slow = await createUser(stack.api.app, ['psychologist']);
    const volunteerToken = await signIn(stack.http, volunteer);
    const fastToken = await signIn(stack.http, fast);
    // Nobody is on shift for psychological help: both cases wait in the pool.
    const consent = {
      scopes: ['service:psych', 'statistics'],
      textVersion: '2026-01',
      retentionDays: 365,
    };
    const created: string[] = [];
    for (const region of ['RU-NVS', 'RU-IRK']) {
      const response = await stack.http.post(
        '/api/contacts',
        contactBody({ region, services: ['psych'], consent, topics: ['mental_health'] }),
        { token: volunteerToken },
      );
      expect(response.status).toBe(201);
      created.push(response.body.caseIds[0]);
    }

    const { context, page } = await signedInPage(stack.browser, stack.api.url, slow);
    try {
      const pool = page.locator('.cases__pool tbody tr');
      const novosibirsk = pool.filter({ hasText: 'Новосибирская область' });
      const irkutsk = pool.filter({ hasText: 'Иркутская область' });
      await novosibirsk.waitFor();
      await irkutsk.waitFor();
      await screenshot(page, 'cases-pool');

      // Someone else takes the first one while it is still on this screen.
      expect(
        (await stack.http.post(`/api/cases/${created[0]}/claim`, undefined, { token: fastToken }))
          .status,
      ).toBe(200);
      await novosibirsk.getByRole('button', { name: 'Взять' }).click();
      // The API answers as for any case that is not in the pool (404): it names nobody.
      await page.getByText('Этой заявки больше нет в очереди.', { exact: false }).waitFor();
      await novosibirsk.waitFor({ state: 'detached' });

      await irkutsk.getByRole('button', { name: 'Взять' }).click();
      await page.getByText('Заявка теперь ваша.').waitFor();
      await page
        .locator('.cases__mine tbody tr')
        .filter({ hasText: 'Иркутская область' })
        .waitFor();
      await irkutsk.waitFor({ state: 'detached' });
      await page.getByText('Очередь пуста.').waitFor();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a list that fails to load says so once, above that list, and the other list still loads', async () => {
    const lawyer = await createUser(stack.api.app, ['lawyer']);
    const { context, page } = await signedInPage(
      stack.browser,
      stack.api.url,
      lawyer,
      async (p) => {
        // The pool's answer fails; the person's own cases load as usual.
        await p.route(
          (url) => url.pathname === '/api/cases' && url.searchParams.get('view') === 'pool',
          (route) =>
            route.fulfill({
              status: 503,
              contentType: 'application/json',
              body: JSON.stringify({ statusCode: 503, error: 'unavailable' }),
            }),
        );
      },
    );
    try {
      const failed =
        'Не удалось загрузить заявки. Сервис ненадолго недоступен. Повторите через минуту.';
      const pool = page.locator('.cases__pool');
      await pool.getByRole('alert').filter({ hasText: failed }).waitFor();
      expect(
        await page.getByRole('alert').filter({ hasText: 'Не удалось загрузить' }).count(),
      ).toBe(1);
      // Nothing is on its way: no "Loading…" under the notice, and no empty-pool sentence.
      expect(await pool.getByRole('status').count()).toBe(0);
      expect(await pool.getByText('Очередь пуста.').count()).toBe(0);
      await page.locator('.cases__mine').getByText('Сейчас у вас нет открытых заявок.').waitFor();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
