import { backdateContact, contactBody, createUser, signIn, TestUser } from '@mayak/testing';
import type { Page } from 'playwright-core';
import { pageProblems, screenshot, signedInPage, useBrowserStack } from './support/browser';

jest.setTimeout(120_000);

interface Saved {
  id: string;
  callerId: string;
  caseIds: string[];
}

interface Receipt {
  callerId: string;
  withdrawn: string[];
  closedCaseIds: string[];
  pendingId?: string;
}

/**
 * A caller takes back their consent on a later call, and the volunteer records it from "my
 * contacts today" (issues 13.3 and 12.2): what they logged goes at once; what someone else
 * logged waits for a coordinator. The effects are checked in the database and over the API,
 * not only on the screen.
 */
describe('a volunteer records a consent withdrawal (browser)', () => {
  const stack = useBrowserStack();

  const query = <T>(sql: string, params: unknown[]): Promise<T[]> =>
    stack.env.db.query<T[]>(sql, params);
  const withdrawnScopes = async (contactId: string): Promise<string[]> =>
    (
      await query<{ withdrawn_scopes: string[] }>(
        `SELECT withdrawn_scopes FROM consents WHERE contact_id = $1`,
        [contactId],
      )
    )[0]!.withdrawn_scopes;
  const queueOf = async (coordinator: TestUser) =>
    (
      await stack.http.get<
        Array<{ id: string; status: string; scopes: string[]; requestedBy: string }>
      >('/api/withdrawals', { token: await signIn(stack.http, coordinator) })
    ).body;

  /** Logs a call through the intake form: the number, a region, legal help with its consent. */
  const logCall = async (
    page: Page,
    call: { phone: string; summary: string; contactBack?: boolean; calledOnceBefore?: boolean },
  ): Promise<Saved> => {
    await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
    await page.getByLabel('Телефон или ник').fill(call.phone);
    if (call.calledOnceBefore)
      await page.getByText('Повторное обращение: раньше было 1 обращение.').first().waitFor();
    await page.getByLabel('Регион').focus();
    await page.keyboard.type('казан');
    await page.keyboard.press('Tab');
    await page.getByLabel('Юридическая помощь').check();
    await page.getByLabel(/^Передать юристу/).check();
    await page.getByLabel(/^Статистика\./).check();
    if (call.contactBack) {
      await page.getByLabel(/^Обратная связь\./).check();
      await page.getByLabel('Когда безопасно').fill('будни после 19:00');
    }
    await page.getByLabel('Краткое описание').fill(call.summary);
    const answer = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/contacts',
    );
    await page.getByRole('button', { name: /^Сохранить обращение/ }).click();
    const saved = (await (await answer).json()) as Saved;
    await page.getByText('Обращение сохранено.', { exact: false }).waitFor();
    return saved;
  };

  const withdrawalAnswer = (page: Page) =>
    page.waitForResponse((r) => /\/api\/callers\/[^/]+\/consent\/withdraw$/.test(r.url()));

  it('what the volunteer logged on this call is withdrawn at once: cases closed, summary, contact-back details and the statistics breakdowns gone', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, volunteer);
    try {
      const summary = 'Просит адвоката, потом передумал';
      const saved = await logCall(page, {
        phone: '+7 912 555-20-01',
        summary,
        contactBack: true,
      });
      expect(saved.caseIds).toHaveLength(1);
      const row = page.locator('.mine tbody tr').filter({ hasText: summary });
      await row
        .getByRole('button', { name: /^Абонент отзывает согласие: обращение в \d{2}:\d{2}$/ })
        .click();

      // Step 1: every scope with what it covers and what goes; nothing ticked, nothing sent yet.
      const dialog = page.getByRole('dialog', { name: 'Отзыв согласия абонента' });
      await dialog.getByRole('group', { name: 'Шаг 1 из 2. Что абонент отзывает' }).waitFor();
      for (const scope of [
        'Передать юристу',
        'Передать психологу',
        'Передать дежурному',
        'Обратная связь',
        'Статистика',
      ])
        expect(await dialog.getByLabel(new RegExp(`^${scope}\\.`)).isChecked()).toBe(false);
      await dialog
        .getByText(/записи юристов во всех его юридических заявках уничтожаются/)
        .waitFor();
      await dialog.getByRole('button', { name: 'Далее' }).click();
      const summaryLink = dialog.getByRole('link', {
        name: 'Отметьте хотя бы один пункт, который абонент отзывает.',
      });
      await summaryLink.waitFor();

      // By keyboard: the error's link leads to the first box, Space ticks it.
      await summaryLink.press('Enter');
      await page.keyboard.press('Space');
      expect(await dialog.getByLabel(/^Передать юристу\./).isChecked()).toBe(true);
      await dialog.getByLabel(/^Обратная связь\./).check();
      await dialog.getByLabel(/^Статистика\./).check();
      await screenshot(page, 'withdraw-consent-choose');
      await dialog.getByRole('button', { name: 'Далее' }).press('Enter');

      // Step 2: what goes at once, and that nothing waits (this caller has no other contact).
      const check = dialog.getByRole('heading', { name: 'Шаг 2 из 2. Проверьте перед отзывом' });
      await check.waitFor();
      expect(await page.locator(':focus').textContent()).toBe(
        'Шаг 2 из 2. Проверьте перед отзывом',
      );
      await dialog
        .getByText('Абонент отзывает: Передать юристу, Обратная связь, Статистика.')
        .waitFor();
      await dialog
        .getByText(
          /^Сразу — по 1 обращению, которое вы записали с этим абонентом за последние 24 часа \(в \d{2}:\d{2}\):$/,
        )
        .waitFor();
      await dialog
        .getByText('юридические заявки закрываются, записи юристов уничтожаются;')
        .waitFor();
      await dialog
        .getByText('Других обращений у этого абонента нет: всё будет отозвано сразу.')
        .waitFor();
      expect(await dialog.getByText(/отзыв по ним уходит координатору/).count()).toBe(0);
      await screenshot(page, 'withdraw-consent-check');

      // Back keeps the ticks; then on, and confirmed.
      await dialog.getByRole('button', { name: 'Назад' }).click();
      expect(await page.locator(':focus').getAttribute('type')).toBe('checkbox');
      expect(await dialog.getByLabel(/^Статистика\./).isChecked()).toBe(true);
      await dialog.getByRole('button', { name: 'Далее' }).click();
      await check.waitFor();
      const answer = withdrawalAnswer(page);
      await dialog.getByRole('button', { name: 'Отозвать и уничтожить' }).click();
      const receipt = (await (await answer).json()) as Receipt;

      // The receipt, said as the server gave it, takes focus.
      await dialog.waitFor({ state: 'detached' });
      await page
        .getByText('Согласие отозвано: Передать юристу, Обратная связь, Статистика.')
        .waitFor();
      await page
        .getByText(
          'Отзыв применён сразу ко всем обращениям этого абонента; координатора ничего не ждёт. Закрыта 1 заявка.',
        )
        .waitFor();
      expect(await page.locator(':focus').textContent()).toContain('Согласие отозвано');
      // The list, refreshed, says the summary was destroyed.
      await row.waitFor({ state: 'detached' });
      await page.locator('.mine tbody tr').first().getByText('уничтожено').waitFor();
      await page.locator('.mine').evaluate((s) => s.scrollIntoView({ block: 'start' }));
      await screenshot(page, 'withdraw-consent-receipt');

      // On the server: everything at once, nothing queued.
      expect(receipt).toEqual({
        callerId: saved.callerId,
        withdrawn: ['service:legal', 'contact_back', 'statistics'],
        closedCaseIds: saved.caseIds,
      });
      expect(await withdrawnScopes(saved.id)).toEqual([
        'contact_back',
        'service:legal',
        'statistics',
      ]);
      expect(
        await query(
          `SELECT ct.summary_enc IS NULL AS summary_gone, ct.stats_consented, c.status, c.outcome
             FROM contacts ct JOIN cases c ON c.contact_id = ct.id WHERE ct.id = $1`,
          [saved.id],
        ),
      ).toEqual([
        { summary_gone: true, stats_consented: false, status: 'closed', outcome: 'withdrawn' },
      ]);
      expect(
        await query(
          `SELECT identifier_enc IS NULL AS identifier_gone, contact_back_enc IS NULL AS details_gone
             FROM callers WHERE id = $1`,
          [saved.callerId],
        ),
      ).toEqual([{ identifier_gone: true, details_gone: true }]);
      expect((await queueOf(coordinator)).filter((w) => w.requestedBy === volunteer.id)).toEqual(
        [],
      );
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('on a phone: what another volunteer logged waits for a coordinator, and the receipt says so', async () => {
    const phone = '+7 912 555-20-02';
    const lawyer = await createUser(stack.api.app, ['lawyer']);
    const lawyerToken = await signIn(stack.http, lawyer);
    const earlier = await stack.http.post<Saved>(
      '/api/contacts',
      contactBody({ caller: { identifier: phone }, services: ['legal'] }),
      { token: await signIn(stack.http, await createUser(stack.api.app, ['volunteer'])) },
    );
    expect(earlier.status).toBe(201);
    const earlierCase = earlier.body.caseIds[0]!;
    expect(
      (await stack.http.post(`/api/cases/${earlierCase}/claim`, undefined, { token: lawyerToken }))
        .status,
    ).toBe(200);
    expect(
      (
        await stack.http.post(
          `/api/cases/${earlierCase}/notes`,
          { text: 'Суд назначен на понедельник' },
          { token: lawyerToken },
        )
      ).status,
    ).toBe(201);

    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, volunteer);
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      const summary = 'Перезвонил: просит удалить его данные';
      const saved = await logCall(page, { phone, summary, calledOnceBefore: true });
      expect(saved.callerId).toBe(earlier.body.callerId);
      await page.getByText(/Если абонент звонит, чтобы отозвать согласие/).waitFor();

      const row = page.locator('.mine tbody tr').filter({ hasText: summary });
      await row.getByRole('button', { name: /^Абонент отзывает согласие/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Отзыв согласия абонента' });
      const box = await dialog.boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
      await dialog.getByLabel(/^Передать юристу\./).check();
      await screenshot(page, 'withdraw-consent-choose-phone');
      await dialog.getByRole('button', { name: 'Далее' }).click();
      await dialog
        .getByText(
          'Кроме ваших, у этого абонента есть ещё 1 обращение — эта часть будет ждать координатора.',
        )
        .waitFor();
      await dialog.getByText(/отзыв по ним уходит координатору/).waitFor();
      await screenshot(page, 'withdraw-consent-check-phone');
      const answer = withdrawalAnswer(page);
      await dialog.getByRole('button', { name: 'Отозвать и уничтожить' }).click();
      const receipt = (await (await answer).json()) as Receipt;

      await page.getByText('Согласие отозвано: Передать юристу.').waitFor();
      await page
        .getByText(
          'Сразу — по обращениям, которые вы записали с этим абонентом за последние 24 часа. Закрыта 1 заявка.',
        )
        .waitFor();
      await page
        .getByText(
          /^Остальное — обращения абонента, записанные другими сотрудниками или раньше, — ждёт подтверждения координатора и применится не раньше чем через 24 часа\./,
        )
        .waitFor();
      await screenshot(page, 'withdraw-consent-receipt-phone');

      // On the server: this call's case closed at once; the other volunteer's case and the
      // lawyer's note untouched, and the rest in the coordinators' queue.
      expect(receipt.closedCaseIds).toEqual(saved.caseIds);
      expect(receipt.pendingId).toEqual(expect.any(String));
      expect(await withdrawnScopes(saved.id)).toEqual(['service:legal']);
      expect(await withdrawnScopes(earlier.body.id)).toEqual([]);
      const [earlierNow] = await query<{ status: string; notes: number }>(
        `SELECT c.status, (SELECT count(*)::int FROM case_notes n WHERE n.case_id = c.id AND n.erased_at IS NULL) AS notes
           FROM cases c WHERE c.id = $1`,
        [earlierCase],
      );
      expect(earlierNow).toEqual({ status: expect.not.stringMatching(/^closed$/), notes: 1 });
      expect(await queueOf(coordinator)).toContainEqual(
        expect.objectContaining({
          id: receipt.pendingId,
          status: 'pending',
          scopes: ['service:legal'],
          requestedBy: volunteer.id,
        }),
      );
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a withdrawal the server refuses is explained in the dialog, and nothing changes; Escape sends nothing', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const summary = 'Консультация по смене документов';
    const logged = await stack.http.post<Saved>('/api/contacts', contactBody({ summary }), {
      token: await signIn(stack.http, volunteer),
    });
    expect(logged.status).toBe(201);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, volunteer);
    try {
      const row = page.locator('.mine tbody tr').filter({ hasText: summary });
      const open = row.getByRole('button', { name: /^Абонент отзывает согласие/ });
      const dialog = page.getByRole('dialog', { name: 'Отзыв согласия абонента' });
      await open.click();
      await dialog.waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });

      await open.click();
      await dialog.getByLabel(/^Статистика\./).check();
      await dialog.getByRole('button', { name: 'Далее' }).click();
      // Opened from the list, not just after saving: the screen does not know of other contacts.
      await dialog.getByText(/отзыв по ним уходит координатору/).waitFor();
      expect(await dialog.getByText(/^(Кроме ваших|Других обращений)/).count()).toBe(0);

      // Meanwhile the volunteer's 24 hours with this contact have passed: the server says 404.
      await backdateContact(stack.api.app, logged.body.id, 25 * 3_600_000);
      await dialog.getByRole('button', { name: 'Отозвать и уничтожить' }).click();
      await dialog
        .getByRole('alert')
        .getByText(/^Сервер не принял отзыв: абонента нет или ваше обращение с ним старше 24 часов/)
        .waitFor();
      await screenshot(page, 'withdraw-consent-refused');
      expect(await withdrawnScopes(logged.body.id)).toEqual([]);
      expect(
        await query(`SELECT stats_consented FROM contacts WHERE id = $1`, [logged.body.id]),
      ).toEqual([{ stats_consented: true }]);

      await dialog.getByRole('button', { name: 'Отмена' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await page.getByText(/^Согласие отозвано/).count()).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
