import { contactBody, createUser, signIn, TestUser } from '@mayak/testing';
import type { Page } from 'playwright-core';
import { pageProblems, screenshot, signedInPage, useBrowserStack } from './support/browser';

jest.setTimeout(120_000);

/**
 * The coordinators' queue of consent withdrawals that reach records someone else logged
 * (issue 12.2), in a real browser: set up through the API as test/insiders does, decided on
 * the /withdrawals screen.
 */
describe('the consent-withdrawal queue (browser)', () => {
  const stack = useBrowserStack();

  it('a coordinator confirms one queued withdrawal and rejects another; the asker cannot decide their own', async () => {
    const http = stack.http;
    const token = async (user: TestUser) => signIn(http, user);
    const volunteer = await token(await createUser(stack.api.app, ['volunteer']));
    const lawyer = await token(await createUser(stack.api.app, ['lawyer']));
    const insider = await createUser(stack.api.app, ['volunteer']);
    const insiderToken = await token(insider);
    // A coordinator who also takes calls: their own request waits for another coordinator.
    const asker = await createUser(stack.api.app, ['volunteer', 'coordinator']);
    const askerToken = await token(asker);
    const coordinator = await createUser(stack.api.app, ['coordinator']);

    /** A real call with a lawyer's note; then `as` logs a call with the same number and withdraws. */
    let calls = 0;
    const queueOne = async (as: string, scopes: string[]): Promise<string> => {
      calls += 1;
      const number = `+7900${String(5_550_000 + calls).padStart(7, '0')}`;
      const real = await http.post<{ callerId: string; caseIds: string[] }>(
        '/api/contacts',
        contactBody({ caller: { identifier: number }, services: ['legal'] }),
        { token: volunteer },
      );
      const caseId = real.body.caseIds[0];
      expect(
        (await http.post(`/api/cases/${caseId}/claim`, undefined, { token: lawyer })).status,
      ).toBe(200);
      expect(
        (await http.post(`/api/cases/${caseId}/notes`, { text: 'court date' }, { token: lawyer }))
          .status,
      ).toBe(201);
      const fake = await http.post<{ callerId: string }>(
        '/api/contacts',
        contactBody({ caller: { identifier: number }, services: ['legal'] }),
        { token: as },
      );
      const withdrawn = await http.post<{ pendingId?: string }>(
        `/api/callers/${fake.body.callerId}/consent/withdraw`,
        { scopes },
        { token: as },
      );
      expect(withdrawn.status).toBe(200);
      expect(withdrawn.body.pendingId).toEqual(expect.any(String));
      return withdrawn.body.pendingId!;
    };
    const row = (page: Page, id: string) => page.locator(`tr[data-withdrawal="${id}"]`);

    const mine = await signedInPage(stack.browser, stack.api.url, coordinator);
    const theirs = await signedInPage(stack.browser, stack.api.url, asker);
    try {
      const { page } = mine;
      // The screen is in the coordinator's menu, and says so when nothing waits.
      expect(await page.getByRole('navigation').getByRole('link').allTextContents()).toEqual([
        'Статистика',
        'Распределение',
        'Дежурства',
        'Экстренные',
        'Поиск заявок',
        'Выдача ролей',
        'Отзывы согласия',
        'Справочник',
      ]);
      await page.getByRole('link', { name: 'Отзывы согласия', exact: true }).click();
      await page.getByRole('heading', { name: 'Отзывы согласия', level: 1 }).waitFor();
      await page.getByText('Нет отзывов согласия, ждущих решения.').waitFor();

      const first = await queueOne(insiderToken, ['service:legal', 'statistics']);
      const second = await queueOne(insiderToken, ['service:legal']);
      const own = await queueOne(askerToken, ['contact_back']);

      // The notification names what happened and leads to the queue.
      await page.goto('/notifications');
      await page
        .getByRole('link', { name: /Отзыв согласия ждёт подтверждения координатора/ })
        .first()
        .click();
      await page.getByRole('heading', { name: 'Отзывы согласия', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/withdrawals');

      // Newest first, with the asker's staff name, the scopes in words, and when it would apply.
      await row(page, own).waitFor();
      expect(
        await page
          .locator('tbody tr')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-withdrawal'))),
      ).toEqual([own, second, first]);
      const headers = await page.getByRole('columnheader').allTextContents();
      expect(headers).toEqual([
        'Запрошен',
        'Кто запросил',
        'Что отзывается',
        'Статус',
        'Применяется с',
        'Действия',
      ]);
      const cells = await row(page, first).getByRole('cell').allTextContents();
      expect(cells.slice(0, 3)).toEqual([
        insider.username,
        'Передать юристу, Статистика',
        'Ждёт решения',
      ]);
      expect(cells[3]).toContain('если подтвердить');
      await screenshot(page, 'withdrawal-queue');

      // Confirm, through a dialog whose first button is Cancel.
      await row(page, first)
        .getByRole('button', { name: /^Подтвердить:/ })
        .click();
      const dialog = page.getByRole('dialog', { name: 'Подтвердить отзыв согласия?' });
      await dialog.waitFor();
      expect(await page.locator(':focus').textContent()).toBe('Отмена');
      await dialog.getByRole('button', { name: 'Подтвердить', exact: true }).click();
      await page.getByText(`Отзыв согласия по запросу ${insider.username} подтверждён`).waitFor();
      await row(page, first).getByText('Подтверждён, ждёт применения').waitFor();
      expect(await row(page, first).getByRole('button').count()).toBe(0);

      // Reject: Escape first changes nothing; then rejected, it leaves the queue.
      await row(page, second)
        .getByRole('button', { name: /^Отклонить:/ })
        .click();
      await page.getByRole('dialog', { name: 'Отклонить отзыв согласия?' }).waitFor();
      await page.keyboard.press('Escape');
      expect(await page.getByRole('dialog').count()).toBe(0);
      await row(page, second)
        .getByRole('button', { name: /^Отклонить:/ })
        .click();
      await page
        .getByRole('dialog', { name: 'Отклонить отзыв согласия?' })
        .getByRole('button', { name: 'Отклонить', exact: true })
        .click();
      await page.getByText(`Отзыв согласия по запросу ${insider.username} отклонён`).waitFor();
      await row(page, second).waitFor({ state: 'detached' });

      const queue = await http.get<Array<{ id: string; status: string }>>('/api/withdrawals', {
        token: await token(coordinator),
      });
      expect(queue.body.map((w) => [w.id, w.status])).toEqual([
        [first, 'confirmed'],
        [own, 'pending'],
      ]);

      // The asker sees their own request, and cannot decide it.
      const other = theirs.page;
      await other.goto('/withdrawals');
      await row(other, own).waitFor();
      expect(
        await row(other, own)
          .getByRole('button', { name: /^Подтвердить:/ })
          .isDisabled(),
      ).toBe(true);
      expect(
        await row(other, own)
          .getByRole('button', { name: /^Отклонить:/ })
          .isDisabled(),
      ).toBe(true);
      await row(other, own)
        .getByText('Это ваш запрос: его подтверждает или отклоняет другой координатор.')
        .waitFor();
      expect(await row(other, second).count()).toBe(0);

      // The other coordinator can decide the asker's own.
      await row(page, own)
        .getByRole('button', { name: /^Подтвердить:/ })
        .click();
      await page
        .getByRole('dialog', { name: 'Подтвердить отзыв согласия?' })
        .getByRole('button', { name: 'Подтвердить', exact: true })
        .click();
      await row(page, own).getByText('Подтверждён, ждёт применения').waitFor();

      expect(pageProblems(page)).toEqual([]);
      expect(pageProblems(other)).toEqual([]);
    } finally {
      await mine.context.close();
      await theirs.context.close();
    }
  });

  it('a decision the server refuses is explained in the dialog, and the list stays', async () => {
    // Two coordinators on the same request: the second to decide is told, and sees it decided.
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const lawyer = await createUser(stack.api.app, ['lawyer']);
    const volunteerToken = await signIn(stack.http, volunteer);
    const lawyerToken = await signIn(stack.http, lawyer);
    const insiderToken = await signIn(stack.http, await createUser(stack.api.app, ['volunteer']));
    const number = '+79005559999';
    const real = await stack.http.post<{ callerId: string; caseIds: string[] }>(
      '/api/contacts',
      contactBody({ caller: { identifier: number }, services: ['legal'] }),
      { token: volunteerToken },
    );
    await stack.http.post(`/api/cases/${real.body.caseIds[0]}/claim`, undefined, {
      token: lawyerToken,
    });
    await stack.http.post(
      `/api/cases/${real.body.caseIds[0]}/notes`,
      { text: 'note' },
      { token: lawyerToken },
    );
    const fake = await stack.http.post<{ callerId: string }>(
      '/api/contacts',
      contactBody({ caller: { identifier: number }, services: ['legal'] }),
      { token: insiderToken },
    );
    const withdrawn = await stack.http.post<{ pendingId?: string }>(
      `/api/callers/${fake.body.callerId}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token: insiderToken },
    );
    const id = withdrawn.body.pendingId!;

    const first = await createUser(stack.api.app, ['coordinator']);
    const second = await createUser(stack.api.app, ['coordinator']);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, second);
    try {
      await page.goto('/withdrawals');
      const target = page.locator(`tr[data-withdrawal="${id}"]`);
      await target.waitFor();
      const rowsBefore = await page.locator('tbody tr').count();
      expect(
        (
          await stack.http.post(`/api/withdrawals/${id}/reject`, undefined, {
            token: await signIn(stack.http, first),
          })
        ).status,
      ).toBe(204);

      await target.getByRole('button', { name: /^Подтвердить:/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Подтвердить отзыв согласия?' });
      await dialog.getByRole('button', { name: 'Подтвердить', exact: true }).click();
      await dialog
        .getByRole('alert')
        .getByText('Этот запрос уже решён другим координатором или это ваш собственный запрос.', {
          exact: false,
        })
        .waitFor();
      await dialog.getByRole('button', { name: 'Отмена' }).click();
      // The list is still there, refreshed: the rejected request has left it.
      await target.waitFor({ state: 'detached' });
      expect(await page.locator('tbody tr').count()).toBe(rowsBefore - 1);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
