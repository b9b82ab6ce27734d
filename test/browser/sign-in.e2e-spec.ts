import { totpCode } from '@mayak/identity';
import { createTestEnvironment, createUser, endSessionsOf, startApi } from '@mayak/testing';
import {
  newPage,
  pageProblems,
  screenshot,
  signInThroughUi,
  useBrowserStack,
} from './support/browser';

jest.setTimeout(90_000);

describe('signing in (browser)', () => {
  const stack = useBrowserStack();

  it('a wrong code gets a clear message and the form back; the right one signs in to the volunteer screen', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      await page.getByRole('heading', { name: 'Вход' }).waitFor();
      await screenshot(page, 'sign-in');

      const right = totpCode(volunteer.totpSecret);
      const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
      await signInThroughUi(page, volunteer, wrong);
      const alert = page
        .getByRole('alert')
        .filter({ hasText: 'Имя пользователя, пароль или код неверны' });
      await alert.waitFor();
      await screenshot(page, 'sign-in-wrong-code');
      // The error summary takes focus so a screen reader says it at once; the code is cleared.
      expect(await page.locator(':focus').getAttribute('class')).toContain('error-summary');
      expect(await page.getByLabel('Код из приложения').inputValue()).toBe('');

      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/intake');
      expect(await page.getByRole('navigation').getByRole('link').allTextContents()).toEqual([
        'Новое обращение',
        'Справочник',
      ]);
      const cookies = await context.cookies();
      expect(cookies.find((c) => c.name === 'mayak_session')).toMatchObject({
        httpOnly: true,
        sameSite: 'Strict',
      });
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a person with several roles sees the screens of each, and typing another role’s URL shows “not available”', async () => {
    const both = await createUser(stack.api.app, ['volunteer', 'admin']);
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      await signInThroughUi(page, both);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      expect(await page.getByRole('navigation').getByRole('link').allTextContents()).toEqual([
        'Новое обращение',
        'Пользователи',
        'Выдача ролей',
        'Справочник',
      ]);
      await page.getByRole('button', { name: 'Выйти' }).click();
      await page.getByText('Вы вышли из системы.').waitFor();

      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      await page.goto('/admin/users');
      await page.getByRole('heading', { name: 'Нет доступа' }).waitFor();
      expect(await page.getByRole('table').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('a session that ends on the server brings the person back to sign-in with a clear message', async () => {
    const person = await createUser(stack.api.app, ['volunteer', 'admin']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/intake');
      await signInThroughUi(page, person);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      await endSessionsOf(stack.api.app, person.id);
      // The next request the page makes (opening another screen) learns it; the page may also
      // learn it first on its own (its event stream), and leave the screen before the click.
      await page
        .getByRole('navigation')
        .getByRole('link', { name: 'Пользователи' })
        .click({ timeout: 5_000 })
        .catch(() => undefined);
      await page.getByText('Сеанс завершён: он истёк или был закрыт. Войдите снова.').waitFor();
      await page.getByRole('heading', { name: 'Вход' }).waitFor();
      expect(await page.getByLabel('Имя пользователя').inputValue()).toBe(person.username);
      await screenshot(page, 'sign-in-session-expired');
      // Signing in again lands where the person was going.
      await signInThroughUi(page, person);
      await page.getByRole('heading', { name: 'Пользователи', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/admin/users');
    } finally {
      await context.close();
    }
  });

  it('after idle time the session ends on its own, with a warning first', async () => {
    const idleEnv = await createTestEnvironment({ SESSION_IDLE_MINUTES: '1' });
    const idleApi = await startApi(idleEnv);
    const volunteer = await createUser(idleApi.app, ['volunteer']);
    const { context, page } = await newPage(stack.browser, idleApi.url);
    try {
      await page.clock.install();
      await page.goto('/');
      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      // One minute of idle time, less the client's 15 s head start on the server: the warning
      // shows in the last minute, the sign-out at 45 s.
      await page.clock.runFor(20_000);
      await page
        .getByText(/Сеанс завершится через \d+ секунд/)
        .first()
        .waitFor();
      await page.clock.runFor(30_000);
      await page.getByText('Сеанс завершён после 1 минуты без действий. Войдите снова.').waitFor();
      expect(await page.getByRole('heading', { name: 'Новое обращение' }).count()).toBe(0);
    } finally {
      await context.close();
      await idleApi.close();
      await idleEnv.dispose();
    }
  });
});
