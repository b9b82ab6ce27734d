import { createUser, eventually } from '@mayak/testing';
import {
  newPage,
  pageProblems,
  screenshot,
  signInThroughUi,
  useBrowserStack,
} from './support/browser';

jest.setTimeout(90_000);

describe('locking the screen (browser)', () => {
  const stack = useBrowserStack();

  it('Ctrl+Shift+L hides everything at once and ends the session; unlocking is a fresh sign-in', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      const secret = 'Задержан у метро, нужен адвокат';
      await page.getByLabel('Краткое описание').fill(secret);

      await page.keyboard.press('Control+Shift+KeyL');
      await page.getByText('Экран заблокирован, сеанс завершён.', { exact: false }).waitFor();
      // Nothing of the signed-in screen is left in the page, not even hidden.
      const html = await page.content();
      expect(html).not.toContain(secret);
      expect(html).not.toContain('Новое обращение');
      expect(await page.getByRole('navigation').count()).toBe(0);
      await screenshot(page, 'lock-screen');

      // The server session is gone too: the cookie left in the browser opens nothing.
      await eventually(
        'the session to end on the server',
        async () => (await page.request.get('/api/auth/me')).status() === 401,
      );
      const [{ count }] = await stack.env.db.query(
        `SELECT count(*)::int AS count FROM sessions WHERE user_id = $1`,
        [volunteer.id],
      );
      expect(count).toBe(0);

      // The username is kept; password and a new code are asked again.
      expect(await page.getByLabel('Имя пользователя').inputValue()).toBe(volunteer.username);
      expect(await page.getByLabel('Пароль').inputValue()).toBe('');
      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      expect(await page.getByLabel('Краткое описание').inputValue()).toBe('');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the Lock button does the same, in the English interface too', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      await page.getByRole('button', { name: 'English' }).click();
      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'New contact' }).waitFor();
      await page.getByRole('button', { name: 'Lock' }).click();
      await page.getByText('Screen locked and session ended. Sign in again to continue.').waitFor();
      expect(await page.getByRole('heading', { name: 'New contact' }).count()).toBe(0);
      await eventually(
        'the session to end on the server',
        async () => (await page.request.get('/api/auth/me')).status() === 401,
      );
    } finally {
      await context.close();
    }
  });
});
