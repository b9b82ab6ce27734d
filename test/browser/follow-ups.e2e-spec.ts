import { Clock } from '@mayak/platform';
import { contactBody, createUser, eventually, signIn } from '@mayak/testing';
import { pageProblems, screenshot, signedInPage, useBrowserStack } from './support/browser';

jest.setTimeout(120_000);

/** The calendar day in Moscow (the browser's and the helpline's zone), YYYY-MM-DD. */
const moscowToday = () =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Moscow',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());

/** The same day as the Russian interface writes it (DD.MM.YYYY). */
/** A day as the Russian interface writes it: DD.MM.YYYY. */
const russianDay = (day: string) => day.split('-').reverse().join('.');

describe('follow-ups and handovers (browser)', () => {
  const stack = useBrowserStack({ worker: true });

  it('a lawyer plans a call back within the safe times, hands the case to a colleague who accepts it, and the coordinator sees what is overdue', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const lawyer = await createUser(stack.api.app, ['lawyer']);
    const colleague = await createUser(stack.api.app, ['lawyer']);
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const volunteerToken = await signIn(stack.http, volunteer);
    const coordinatorToken = await signIn(stack.http, coordinator);
    const lawyerToken = await signIn(stack.http, lawyer);

    /** A legal case for the lawyer, assigned by the coordinator. */
    const legalCase = async (region: string, contactBack: boolean) => {
      const logged = await stack.http.post(
        '/api/contacts',
        contactBody({
          region,
          services: ['legal'],
          consent: {
            scopes: contactBack
              ? ['service:legal', 'contact_back', 'statistics']
              : ['service:legal', 'statistics'],
            textVersion: '2026-01',
            retentionDays: 365,
            ...(contactBack
              ? { contactBack: { channel: 'phone', safeTimes: 'будни после 19:00' } }
              : {}),
          },
        }),
        { token: volunteerToken },
      );
      expect(logged.status).toBe(201);
      const caseId: string = logged.body.caseIds[0];
      const assigned = await stack.http.put(
        `/api/cases/${caseId}/assignee`,
        { userId: lawyer.id },
        { token: coordinatorToken },
      );
      expect(assigned.status).toBe(200);
      return caseId;
    };
    const kazan = await legalCase('RU-TA', true);
    const omsk = await legalCase('RU-OMS', false);
    const today = moscowToday();

    const lawyerSide = await signedInPage(stack.browser, stack.api.url, lawyer);
    const colleagueSide = await signedInPage(stack.browser, stack.api.url, colleague);
    const lawyerPage = lawyerSide.page;
    const colleaguePage = colleagueSide.page;
    try {
      // The lawyer's list: no call back planned yet.
      const kazanRow = lawyerPage.locator('.cases__mine tbody tr').filter({ hasText: 'Татарстан' });
      await kazanRow.waitFor();
      expect(await kazanRow.locator('.cases__follow-up').textContent()).toBe('—');

      // Without consent to contact back, the case says why no call can be planned.
      await lawyerPage.goto(`/cases/${omsk}`);
      await lawyerPage.getByRole('heading', { name: 'Повторные звонки' }).waitFor();
      await lawyerPage
        .getByText('Абонент не давал согласия на обратную связь', { exact: false })
        .waitFor();
      expect(await lawyerPage.getByLabel('Дата звонка').count()).toBe(0);

      // With it: the caller's safe times beside the date.
      await lawyerPage.goto(`/cases/${kazan}`);
      await lawyerPage.getByText('Когда абоненту безопасно звонить: будни после 19:00').waitFor();
      await lawyerPage.getByLabel('Дата звонка').fill(today);
      await lawyerPage.getByLabel('Заметка (необязательно)').fill('Спросить, чем кончился суд');
      await lawyerPage.getByRole('button', { name: 'Запланировать звонок' }).click();
      await lawyerPage
        .getByText(`Повторный звонок запланирован на ${russianDay(today)}.`, { exact: false })
        .waitFor();
      const planned = lawyerPage
        .locator('.follow-up')
        .filter({ hasText: 'Спросить, чем кончился суд' });
      await planned.getByText(`Позвонить ${russianDay(today)}`).waitFor();
      await screenshot(lawyerPage, 'case-follow-up');

      // The day has come: the worker's timer tells the lawyer.
      await eventually('the follow-up reminder', async () => {
        const list = await stack.http.get<Array<{ type: string; caseId: string }>>(
          '/api/notifications',
          { token: lawyerToken },
        );
        return list.body.some((n) => n.type === 'follow_up_due' && n.caseId === kazan);
      });
      await lawyerPage.getByRole('link', { name: 'Заявки', exact: true }).click();
      await kazanRow.getByText('звонок сегодня').waitFor();
      expect(await kazanRow.locator('.cases__follow-up').textContent()).toContain(
        russianDay(today),
      );
      await screenshot(lawyerPage, 'cases-follow-up');

      // The lawyer hands the case to a colleague, with a note.
      await kazanRow.getByRole('link').click();
      await lawyerPage.getByRole('heading', { name: 'Передать коллеге' }).waitFor();
      await lawyerPage.getByLabel('Коллега').selectOption({ label: colleague.username });
      await lawyerPage
        .getByLabel('Что коллеге нужно знать')
        .fill('Ухожу в отпуск. Суд 20-го, нужен адвокат в Казани.');
      await lawyerPage.getByRole('button', { name: 'Предложить заявку' }).click();
      await lawyerPage.getByText('Заявка предложена коллеге.', { exact: false }).waitFor();
      await lawyerPage
        .getByText(`Вы предложили эту заявку коллеге ${colleague.username}`, { exact: false })
        .waitFor();

      // The colleague: the offer on their list; the note and metadata only until they accept.
      await colleaguePage.reload();
      await colleaguePage.getByRole('heading', { name: 'Вам предлагают заявки' }).waitFor();
      await colleaguePage.getByRole('link', { name: 'Посмотреть и решить' }).click();
      await colleaguePage.getByRole('heading', { name: 'Вам предлагают эту заявку' }).waitFor();
      await colleaguePage.getByText('Ухожу в отпуск. Суд 20-го', { exact: false }).waitFor();
      await colleaguePage.getByText(`Предлагает ${lawyer.username}`, { exact: false }).waitFor();
      expect(await colleaguePage.getByText('Спросить, чем кончился суд').count()).toBe(0);
      expect(await colleaguePage.getByLabel('Новая запись').count()).toBe(0);
      await screenshot(colleaguePage, 'case-handover-offered');
      await colleaguePage.getByRole('button', { name: 'Принять заявку' }).click();
      await colleaguePage.getByText('Заявка теперь ваша.').waitFor();
      // Theirs now: the contact, the notes and the follow-up with its note.
      await colleaguePage.getByLabel('Новая запись').waitFor();
      await colleaguePage.getByText('Спросить, чем кончился суд').waitFor();
      await colleaguePage.locator('.timeline').getByText('Коллега принял заявку').waitFor();

      // The lawyer offers another case; nobody answers it.
      const waiting = await legalCase('RU-SAM', true);
      expect(
        (
          await stack.http.post(
            `/api/cases/${waiting}/handover`,
            { toId: colleague.id, note: 'Посмотри, пожалуйста' },
            { token: lawyerToken },
          )
        ).status,
      ).toBe(201);

      expect(pageProblems(lawyerPage)).toEqual([]);
      expect(pageProblems(colleaguePage)).toEqual([]);
    } finally {
      await lawyerSide.context.close();
      await colleagueSide.context.close();
    }

    // Two days later: the call back is overdue and the handover unanswered.
    const later = jest
      .spyOn(stack.api.app.get(Clock), 'now')
      .mockReturnValue(new Date(Date.now() + 2 * 86_400_000));
    const { context, page } = await signedInPage(stack.browser, stack.api.url, coordinator);
    try {
      await page.getByRole('link', { name: 'Распределение', exact: true }).click();
      const overdue = page.locator('.overdue-work');
      await overdue.getByRole('heading', { name: 'Просроченное' }).waitFor();
      const call = overdue
        .getByRole('table', { name: /Повторные звонки/ })
        .locator('tbody tr')
        .filter({ hasText: colleague.username });
      await call.getByText('просрочен').waitFor();
      expect(await call.textContent()).toContain(russianDay(today));
      const handover = overdue
        .getByRole('table', { name: /Передачи без ответа/ })
        .locator('tbody tr');
      await handover
        .filter({ hasText: lawyer.username })
        .filter({ hasText: colleague.username })
        .waitFor();
      // Metadata only: no note reaches the coordinator's screen.
      expect(await overdue.textContent()).not.toContain('Посмотри');
      expect(await overdue.textContent()).not.toContain('Спросить');
      await screenshot(page, 'assignments-overdue');

      // The same panel in English.
      await page.getByRole('button', { name: 'English' }).click();
      await overdue.getByRole('heading', { name: 'Overdue' }).waitFor();
      await overdue
        .getByRole('table', { name: /Follow-up calls due/ })
        .getByText('overdue')
        .waitFor();
      await overdue.getByRole('table', { name: /Handovers unanswered/ }).waitFor();
      await page.getByRole('button', { name: 'Русский' }).click();
      await overdue.getByRole('heading', { name: 'Просроченное' }).waitFor();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      later.mockRestore();
      await context.close();
    }
  });
});
