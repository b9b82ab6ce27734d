import { createUser, freshCode, HttpClient } from '@mayak/testing';
import {
  newPage,
  pageProblems,
  screenshot,
  signInThroughUi,
  useBrowserStack,
} from './support/browser';

jest.setTimeout(90_000);

describe('account administration (browser)', () => {
  const stack = useBrowserStack();

  it('an admin creates an account and disables another; the disabled person can no longer sign in', async () => {
    const admin = await createUser(stack.api.app, ['admin']);
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      await signInThroughUi(page, admin);
      await page.getByRole('heading', { name: 'Пользователи', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/admin/users');

      // Create: the form checks what the server would refuse, then the new row appears.
      await page.getByText('Новый пользователь').click();
      await page.getByLabel('Имя пользователя').fill('new.lawyer');
      await page.getByRole('button', { name: 'Создать пользователя' }).click();
      await page.locator('.error-summary').getByText('От 12 до 256 символов.').waitFor();
      await page.getByRole('button', { name: 'Сгенерировать' }).click();
      expect((await page.getByLabel('Начальный пароль').inputValue()).length).toBe(20);
      await page.getByLabel('Юрист').check();
      await page.getByRole('button', { name: 'Создать пользователя' }).click();
      await page.getByText('Пользователь new.lawyer создан.').waitFor();
      const created = page.locator('tr[data-username="new.lawyer"]');
      expect(await created.getByText('Не настроен').count()).toBe(1);

      // Disable, after a confirmation that says what it does.
      const row = page.locator(`tr[data-username="${volunteer.username}"]`);
      await row.getByRole('button', { name: `Отключить ${volunteer.username}` }).click();
      const dialog = page.getByRole('dialog');
      await dialog
        .getByText('Все сеансы этого пользователя завершатся сразу.', { exact: false })
        .waitFor();
      await screenshot(page, 'admin-disable-confirm');
      await dialog.getByRole('button', { name: 'Отключить' }).click();
      await page.getByText(`Пользователь ${volunteer.username} отключён.`).waitFor();
      expect(await row.getByText('Отключён').count()).toBe(1);
      expect(await page.getByRole('dialog').count()).toBe(0);
      await screenshot(page, 'admin-users');

      const [{ disabled_at }] = await stack.env.db.query(
        `SELECT disabled_at FROM users WHERE id = $1`,
        [volunteer.id],
      );
      expect(disabled_at).not.toBeNull();
      const login = await new HttpClient(stack.api.url).post('/api/auth/login', {
        username: volunteer.username,
        password: volunteer.password,
        totp: freshCode(volunteer),
      });
      expect(login.status).toBe(401);

      // Their own row offers nothing that would lock the admin out.
      const own = page.locator(`tr[data-username="${admin.username}"]`);
      expect(await own.getByRole('button').count()).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
