import { contactBody, createUser, eventually, signIn, TestUser } from '@mayak/testing';
import { Page } from 'playwright-core';
import { pageProblems, screenshot, signedInPage, useBrowserStack } from './support/browser';

jest.setTimeout(90_000);

/** Counts the alarm's plays in the page: headless Chromium has no speakers to listen to. */
async function countSoundPlays(page: Page): Promise<void> {
  // Runs in the page; the test's own TypeScript knows no DOM, hence the plain shapes.
  await page.addInitScript(() => {
    type Media = { prototype: { play: (this: unknown) => Promise<void> } };
    const w = globalThis as unknown as { soundPlays: number; HTMLMediaElement: Media };
    w.soundPlays = 0;
    const play = w.HTMLMediaElement.prototype.play;
    w.HTMLMediaElement.prototype.play = function (this: unknown) {
      w.soundPlays += 1;
      return play.call(this);
    };
  });
}

const soundPlays = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { soundPlays: number }).soundPlays);

describe('responders and the emergency board (browser)', () => {
  // Ten minutes to acknowledge: the countdown is visible and never runs out in the test.
  const stack = useBrowserStack({ env: { EMERGENCY_ACK_TIMEOUT_SECONDS: '600' }, worker: true });
  let coordinatorToken: string;

  /** Puts a responder on tier 1 from an hour ago to an hour from now, through the API. */
  async function onTierOne(responder: TestUser): Promise<void> {
    const now = Date.now();
    const response = await stack.http.post(
      '/api/rota/shifts',
      {
        userId: responder.id,
        tier: 1,
        startsAt: new Date(now - 3_600_000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
      },
      { token: coordinatorToken },
    );
    expect(response.status).toBe(201);
  }

  beforeAll(async () => {
    coordinatorToken = await signIn(stack.http, await createUser(stack.api.app, ['coordinator']));
  });

  it('an emergency logged by a volunteer appears on the responder’s board without a reload, with a sound; acknowledging stops the countdown', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const responder = await createUser(stack.api.app, ['responder']);
    await onTierOne(responder);

    const { context: responderContext, page: board } = await signedInPage(
      stack.browser,
      stack.api.url,
      responder,
      countSoundPlays,
    );
    const { context: volunteerContext, page: intake } = await signedInPage(
      stack.browser,
      stack.api.url,
      volunteer,
    );
    try {
      await board.getByRole('heading', { name: 'Экстренные случаи' }).waitFor();
      await board.getByText('Открытых экстренных случаев нет.').waitFor();
      await board.getByText('Обновляется в реальном времени').waitFor();
      await board.getByRole('button', { name: 'Включить звук' }).click();
      await board.getByRole('button', { name: 'Звук включён', pressed: true }).waitFor();
      const playsBefore = await soundPlays(board);
      // A mark in this very document: a reload would lose it.
      await board.evaluate(() => Object.assign(globalThis, { stillTheSamePage: true }));

      // The volunteer: danger to life, and the caller agrees to emergency help.
      await intake.getByLabel('Регион').focus();
      await intake.keyboard.type('чечн');
      await intake.keyboard.press('Tab');
      await intake
        .getByRole('switch', { name: 'Непосредственная угроза жизни или свободе' })
        .click();
      await intake.getByLabel(/Передать дежурному/).check();
      await intake.getByRole('button', { name: /^Сохранить обращение/ }).click();
      await intake.getByText('Экстренный случай создан', { exact: false }).waitFor();

      const row = board.locator('.board__row').filter({ hasText: 'Чечня' });
      await row.waitFor();
      const countdown = row.getByRole('timer');
      await countdown.waitFor();
      expect(await countdown.textContent()).toMatch(/^(10:00|9:[0-5]\d)$/);
      await row.getByText('новый').waitFor();
      await board.getByText('Новый экстренный случай: Чечня.', { exact: false }).waitFor();
      expect(await board.evaluate(() => 'stillTheSamePage' in globalThis)).toBe(true);
      expect(await soundPlays(board)).toBeGreaterThan(playsBefore);
      expect(await board.title()).toMatch(/^⚠ Новый экстренный вызов — /);
      await screenshot(board, 'emergency-board');

      await row.getByRole('button', { name: 'Подтвердить' }).click();
      await row.getByText(/^Подтверждено вами в \d{2}:\d{2}/).waitFor();
      expect(await row.getByRole('timer').count()).toBe(0);
      await board.getByText('Все случаи подтверждены.').waitFor();
      expect(await board.title()).toBe('Экстренные — Маяк');
      // The server's clock stopped too: no deadline left, the case is the responder's.
      const emergencies = await stack.http.get('/api/emergencies', {
        token: await signIn(stack.http, responder),
      });
      expect(emergencies.body).toEqual([
        expect.objectContaining({ ackDueAt: null, assigneeId: responder.id, status: 'assigned' }),
      ]);
      await screenshot(board, 'emergency-board-acknowledged');
      expect(pageProblems(board)).toEqual([]);
      expect(pageProblems(intake)).toEqual([]);
    } finally {
      await responderContext.close();
      await volunteerContext.close();
    }
  });

  it('a volunteer escalates a legal contact from "my contacts today"; without emergency consent the responder breaks the glass with a reason and sees the case, marked as such', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const responder = await createUser(stack.api.app, ['responder']);
    await onTierOne(responder);
    const summary = 'Звонил из отдела полиции, телефон отбирают';
    const logged = await stack.http.post(
      '/api/contacts',
      contactBody({
        region: 'RU-KDA',
        summary,
        consent: { scopes: ['service:legal'], textVersion: '2026-01', retentionDays: 365 },
        services: ['legal'],
      }),
      { token: await signIn(stack.http, volunteer) },
    );
    expect(logged.status).toBe(201);

    const { context: volunteerContext, page: intake } = await signedInPage(
      stack.browser,
      stack.api.url,
      volunteer,
    );
    const { context: responderContext, page: board } = await signedInPage(
      stack.browser,
      stack.api.url,
      responder,
    );
    try {
      const contact = intake.locator('.mine tbody tr').filter({ hasText: summary });
      await contact.getByRole('button', { name: 'Экстренно…' }).click();
      const escalate = intake.getByRole('dialog', { name: 'Передать как экстренный случай' });
      await escalate.getByRole('button', { name: 'Передать дежурному' }).click();
      await escalate.getByText('Напишите причину', { exact: false }).waitFor();
      await escalate.getByLabel('Что случилось').fill('Перезвонил: его везут в ОВД, угрожают');
      await escalate.getByRole('button', { name: 'Передать дежурному' }).click();
      await intake.getByText('Экстренный случай создан, дежурный получил вызов.').waitFor();
      await contact.getByText('экстренный случай открыт').waitFor();
      await intake
        .getByRole('heading', { name: 'Мои обращения за сегодня' })
        .evaluate((h) => h.scrollIntoView({ block: 'start' }));
      await screenshot(intake, 'my-contacts-escalated');

      const row = board.locator('.board__row').filter({ hasText: 'Краснодарский край' });
      await row.getByText('нет согласия').waitFor();
      await row.getByRole('button', { name: 'Экстренный доступ…' }).click();
      const glass = board.getByRole('dialog', { name: 'Экстренный доступ без согласия' });
      await glass
        .getByLabel('Почему без этого нельзя')
        .fill('Абонент не может говорить, нужен адрес');
      await glass.getByRole('button', { name: 'Открыть без согласия' }).click();

      await board.getByRole('heading', { name: 'Заявка: Экстренная помощь' }).waitFor();
      await board.getByText(/^Экстренный доступ без согласия — до \d{2}:\d{2}\./).waitFor();
      await board.getByText(summary).waitFor();
      await board.locator('.timeline').getByText('Экстренный доступ без согласия').waitFor();
      await screenshot(board, 'case-break-glass');
      expect(pageProblems(intake)).toEqual([]);
      expect(pageProblems(board)).toEqual([]);
    } finally {
      await volunteerContext.close();
      await responderContext.close();
    }
  });
  it('an acknowledged emergency without emergency consent says its details are withheld and points to break-glass, never that anything was destroyed', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const lawyer = await createUser(stack.api.app, ['lawyer']);
    const responder = await createUser(stack.api.app, ['responder']);
    await onTierOne(responder);
    const logged = await stack.http.post(
      '/api/contacts',
      contactBody({
        consent: { scopes: ['service:legal'], textVersion: '2026-01', retentionDays: 365 },
        services: ['legal'],
      }),
      { token: await signIn(stack.http, volunteer) },
    );
    const legal = logged.body.caseIds[0] as string;
    const lt = await signIn(stack.http, lawyer);
    await stack.http.post(`/api/cases/${legal}/claim`, undefined, { token: lt });
    const emergency = (
      await stack.http.post(
        `/api/cases/${legal}/escalate`,
        { reason: 'Caller says the attacker is outside now.' },
        { token: lt },
      )
    ).body.emergencyCaseId as string;
    const rt = await signIn(stack.http, responder);
    await eventually('the page', async () =>
      (await stack.http.get('/api/emergencies', { token: rt })).body.some(
        (e: { id: string }) => e.id === emergency,
      ),
    );
    expect(
      (await stack.http.post(`/api/cases/${emergency}/acknowledge`, undefined, { token: rt }))
        .status,
    ).toBe(200);

    const { context, page } = await signedInPage(stack.browser, stack.api.url, responder);
    try {
      await page.goto(`/cases/${emergency}`);
      await page.getByText('Абонент не давал согласия на эту помощь', { exact: false }).waitFor();
      await page.getByText('используйте экстренный доступ', { exact: false }).first().waitFor();
      expect(await page.getByText('отозвал согласие', { exact: false }).count()).toBe(0);
      expect(await page.getByText('уничтожены', { exact: false }).count()).toBe(0);
      await screenshot(page, 'case-withheld-no-consent');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
