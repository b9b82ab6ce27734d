import { createUser, freshCode } from '@mayak/testing';
import { PasswordHasher, SessionService } from '@mayak/identity';
import { HttpClient } from '@mayak/testing';
import { pageProblems, screenshot, signedInPage, useBrowserStack } from './support/browser';

jest.setTimeout(90_000);

describe('changing one’s own password (browser)', () => {
  const stack = useBrowserStack();

  it('from the header: checked in the form, re-authenticated when the sign-in is old, and other sessions end', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, volunteer);
    // Another session of the same person, on another device.
    const elsewhere = await stack.api.app.get(SessionService).issue(volunteer.id);
    const http = new HttpClient(stack.api.url);
    const next = 'три слова для новой смены';
    try {
      await page.getByRole('button', { name: 'Сменить пароль' }).click();
      const dialog = page.getByRole('dialog', { name: 'Смена пароля' });
      await dialog.waitFor();
      // Checked before the server is asked.
      await dialog.getByLabel('Новый пароль', { exact: true }).fill('короткий');
      await dialog.getByRole('button', { name: 'Сменить пароль' }).click();
      await dialog.getByText('Введите текущий пароль.').first().waitFor();
      await dialog.getByText('От 12 до 256 символов.').first().waitFor();
      await dialog.getByLabel('Текущий пароль').fill(volunteer.password);
      await dialog.getByLabel('Новый пароль', { exact: true }).fill(next);
      await dialog.getByLabel('Новый пароль ещё раз').fill(`${next}!`);
      await dialog.getByRole('button', { name: 'Сменить пароль' }).click();
      await dialog.getByText('Пароли не совпадают.').first().waitFor();

      // The sign-in was six minutes ago: the server asks who it is first, then takes the change
      // (a wrong current password, which it refuses).
      await stack.env.db.query(
        `UPDATE sessions SET authenticated_at = now() - interval '6 minutes' WHERE user_id = $1`,
        [volunteer.id],
      );
      await dialog.getByLabel('Текущий пароль').fill('не мой пароль');
      await dialog.getByLabel('Новый пароль', { exact: true }).fill(next);
      await dialog.getByLabel('Новый пароль ещё раз').fill(next);
      await dialog.getByRole('button', { name: 'Сменить пароль' }).click();
      const reauth = page.getByRole('dialog', { name: 'Подтвердите, что это вы' });
      await reauth.waitFor();
      await reauth.getByLabel('Пароль', { exact: true }).fill(volunteer.password);
      await reauth.getByLabel(/Код из приложения/).fill(freshCode(volunteer));
      await reauth.getByRole('button', { name: 'Подтвердить', exact: true }).click();
      await dialog.getByText('Текущий пароль введён неверно.').first().waitFor();
      // The fields are emptied after every answer: nothing lingers in the page.
      expect(await dialog.getByLabel('Текущий пароль').inputValue()).toBe('');

      await dialog.getByLabel('Текущий пароль').fill(volunteer.password);
      await dialog.getByLabel('Новый пароль', { exact: true }).fill(next);
      await dialog.getByLabel('Новый пароль ещё раз').fill(next);
      await dialog.getByRole('button', { name: 'Сменить пароль' }).click();
      await dialog.getByText('Пароль изменён. Другие ваши сеансы завершены.').waitFor();
      await screenshot(page, 'change-password');

      const [{ password_hash }] = await stack.env.db.query(
        `SELECT password_hash FROM users WHERE id = $1`,
        [volunteer.id],
      );
      const hasher = stack.api.app.get(PasswordHasher);
      expect(await hasher.verify(password_hash, next)).toBe(true);
      expect(await hasher.verify(password_hash, volunteer.password)).toBe(false);
      expect((await http.get('/api/auth/me', { token: elsewhere.token })).status).toBe(401);
      // This session goes on.
      await dialog.getByRole('button', { name: 'Закрыть' }).click();
      await page.getByRole('link', { name: 'Новое обращение' }).click();
      await page.getByRole('heading', { name: 'Новое обращение', level: 1 }).waitFor();
      expect(await page.getByRole('button', { name: 'Выйти' }).count()).toBe(1);
      const [audit] = await stack.env.db.query(
        `SELECT outcome FROM audit_entries WHERE actor_id = $1 AND action = 'auth.password_change' AND outcome = 'success'`,
        [volunteer.id],
      );
      expect(audit).toEqual({ outcome: 'success' });

      // In English too.
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('button', { name: 'Change password' }).click();
      const english = page.getByRole('dialog', { name: 'Change password' });
      await english.getByLabel('Current password').waitFor();
      await english.getByLabel('New password again').waitFor();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
