import { createUser, freshCode, HttpClient, signIn } from '@mayak/testing';
import { totpCode } from '@mayak/identity';
import {
  newPage,
  pageProblems,
  screenshot,
  signedInPage,
  signInThroughUi,
  useBrowserStack,
} from './support/browser';

jest.setTimeout(90_000);

describe('account administration (browser)', () => {
  const stack = useBrowserStack();

  it('an admin creates an account and disables another; the disabled person can no longer sign in', async () => {
    const admin = await createUser(stack.api.app, ['admin']);
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    const owner = await newPage(stack.browser, stack.api.url);
    const confirming = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      await signInThroughUi(page, admin);
      await page.getByRole('heading', { name: 'Пользователи', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/admin/users');

      // Create: the form checks what the server would refuse; there is no password to choose.
      await page.getByText('Новый пользователь').click();
      expect(await page.getByLabel('Начальный пароль').count()).toBe(0);
      await page.getByRole('button', { name: 'Создать пользователя' }).click();
      await page.locator('.error-summary').getByText('Выберите хотя бы одну роль.').waitFor();
      await page.getByLabel('Имя пользователя').fill('new.lawyer');
      await page.getByLabel('Волонтёр').check();
      await page.getByLabel('Юрист').check();
      await page.getByRole('button', { name: 'Создать пользователя' }).click();
      await page.getByText('Пользователь new.lawyer создан.').waitFor();
      // The enrolment code, shown this once; the lawyer role waits for a coordinator.
      const code = (await page.getByTestId('enrolment-code').textContent())!.trim();
      expect(code.replace(/-/g, '')).toMatch(/^[A-Z2-7]{32}$/);
      await screenshot(page, 'admin-enrolment-code');
      await page.getByRole('button', { name: 'Я передал код' }).click();
      expect(await page.getByTestId('enrolment-code').count()).toBe(0);
      const created = page.locator('tr[data-username="new.lawyer"]');
      expect(await created.getByText('Ждёт регистрации').count()).toBe(1);
      expect(await created.getByText('ждёт подтверждения: Юрист', { exact: false }).count()).toBe(
        1,
      );

      // The owner, in their own browser, enrols with the code taken from the link's fragment,
      // sets their own password and second factor, and is signed in.
      const ownPassword = 'the owner’s own long password';
      await owner.page.goto(`/enrol#${code}`);
      await owner.page.getByRole('heading', { name: 'Регистрация' }).waitFor();
      expect(new URL(owner.page.url()).hash).toBe('');
      expect(await owner.page.getByLabel('Код регистрации').inputValue()).toBe(code);
      await owner.page.getByLabel('Новый пароль').fill(ownPassword);
      await owner.page.getByLabel('Пароль ещё раз').fill(ownPassword);
      await owner.page.getByRole('button', { name: 'Продолжить' }).click();
      await owner.page.getByText('Ваше имя пользователя: new.lawyer.').waitFor();
      const secret = (await owner.page.locator('code.secret').textContent())!.replace(/\s/g, '');
      await screenshot(owner.page, 'enrol-with-code');
      await owner.page.getByLabel('Код из приложения').fill(totpCode(secret));
      await owner.page.getByRole('button', { name: 'Войти' }).click();
      // A volunteer at once; a lawyer only once a coordinator confirms it.
      await owner.page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      expect(pageProblems(owner.page)).toEqual([]);
      // The code worked once.
      const reused = await new HttpClient(stack.api.url).post('/api/auth/enrol', {
        code,
        password: 'another long password',
      });
      expect(reused.status).toBe(400);

      // A coordinator confirms the lawyer role on their screen.
      await confirming.page.goto('/role-grants');
      await signInThroughUi(confirming.page, coordinator);
      await confirming.page.getByRole('heading', { name: 'Выдача ролей', level: 1 }).waitFor();
      await confirming.page.getByRole('button', { name: 'Подтвердить new.lawyer Юрист' }).click();
      await confirming.page.getByText('Роль подтверждена.').waitFor();
      const [lawyer] = await stack.env.db.query(
        `SELECT roles FROM users WHERE id = (SELECT user_id FROM role_grants_pending WHERE state = 'confirmed' LIMIT 1)`,
      );
      expect(lawyer.roles).toEqual(['volunteer', 'lawyer']);
      expect(pageProblems(confirming.page)).toEqual([]);

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
      await owner.context.close();
      await confirming.context.close();
    }
  });

  it('an account made on a session signed in long ago asks for the password and passkey, then is made', async () => {
    const admin = await createUser(stack.api.app, ['admin']);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, admin);
    try {
      await page.getByRole('heading', { name: 'Пользователи', level: 1 }).waitFor();
      // The session was signed in six minutes ago (issue 12.4).
      await stack.env.db.query(
        `UPDATE sessions SET authenticated_at = now() - interval '6 minutes' WHERE user_id = $1`,
        [admin.id],
      );
      await page.getByText('Новый пользователь').click();
      await page.getByLabel('Имя пользователя').fill('late.volunteer');
      await page.getByLabel('Волонтёр').check();
      await page.getByRole('button', { name: 'Создать пользователя' }).click();

      const dialog = page.getByRole('dialog', { name: 'Подтвердите, что это вы' });
      await dialog.waitFor();
      // An admin proves it with the passkey: the prompt asks for no code, and offers none.
      await dialog.getByText('браузер попросит ключ доступа', { exact: false }).waitFor();
      expect(await dialog.getByLabel('Код из приложения').count()).toBe(0);
      expect(await dialog.getByRole('button', { name: /кодом/ }).count()).toBe(0);
      // A wrong password, with the right passkey: refused, the session lives on, the dialog stays.
      await dialog.getByLabel('Пароль').fill('not the admin’s password');
      await dialog.getByRole('button', { name: 'Подтвердить', exact: true }).click();
      await dialog.getByText('Пароль или ключ доступа не подходит.', { exact: false }).waitFor();
      await screenshot(page, 'reauthentication');
      await dialog.getByLabel('Пароль').fill(admin.password);
      await dialog.getByRole('button', { name: 'Подтвердить', exact: true }).click();
      // The refused request was sent once more, and went through.
      await page.getByText('Пользователь late.volunteer создан.').waitFor();
      expect(await dialog.count()).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('an admin finds accounts by the start of the name, sees last sign-ins, and sends a reset link its owner uses', async () => {
    const admin = await createUser(stack.api.app, ['admin']);
    const olga = await createUser(stack.api.app, ['volunteer'], 'search.olga');
    await createUser(stack.api.app, ['volunteer'], 'search.oleg');
    await createUser(stack.api.app, ['volunteer'], 'search.pavel');
    await signIn(new HttpClient(stack.api.url), olga);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, admin);
    const owner = await newPage(stack.browser, stack.api.url);
    try {
      await page.getByRole('heading', { name: 'Пользователи', level: 1 }).waitFor();
      await page.getByLabel('Найти по имени').fill('SEARCH.OL');
      await page.getByText('Найдено 2 пользователя.').waitFor();
      const rows = page.locator('tbody tr');
      expect(
        await rows.evaluateAll((list) => list.map((r) => r.getAttribute('data-username'))),
      ).toEqual(['search.oleg', 'search.olga']);
      // Last sign-in, to the hour; none for an account that never signed in.
      const olgaRow = page.locator('tr[data-username="search.olga"]');
      await olgaRow.getByText(/:00 \(с точностью до часа\)$/).waitFor();
      await page.locator('tr[data-username="search.oleg"]').getByText('не входил').waitFor();
      await screenshot(page, 'admin-users-search');

      // The reset link is the enrolment flow's: after a confirmation, once, for 24 hours.
      await olgaRow.getByRole('button', { name: 'Ссылка для сброса пароля search.olga' }).click();
      const confirm = page.getByRole('dialog');
      await confirm
        .getByText('пароль и второй фактор перестанут действовать', { exact: false })
        .waitFor();
      await confirm.getByRole('button', { name: 'Ссылка для сброса пароля' }).click();
      const link = (await page.getByTestId('enrolment-link').textContent())!.trim();
      const code = (await page.getByTestId('enrolment-code').textContent())!.trim();
      expect(link).toBe(`${new URL(page.url()).origin}/enrol#${code}`);
      await screenshot(page, 'admin-reset-link');
      await page.getByRole('button', { name: 'Я передал код' }).click();

      // Olga follows the link, sets a new password and second factor, and is in.
      await owner.page.goto(new URL(link).pathname + new URL(link).hash);
      expect(await owner.page.getByLabel('Код регистрации').inputValue()).toBe(code);
      const renewed = 'olga’s own new long password';
      await owner.page.getByLabel('Новый пароль').fill(renewed);
      await owner.page.getByLabel('Пароль ещё раз').fill(renewed);
      await owner.page.getByRole('button', { name: 'Продолжить' }).click();
      await owner.page.getByText('Ваше имя пользователя: search.olga.').waitFor();
      const secret = (await owner.page.locator('code.secret').textContent())!.replace(/\s/g, '');
      await owner.page.getByLabel('Код из приложения').fill(totpCode(secret));
      await owner.page.getByRole('button', { name: 'Войти' }).click();
      await owner.page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      expect(pageProblems(owner.page)).toEqual([]);

      // In English.
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByLabel('Find by name').fill('search.p');
      await page.getByText('1 user found.').waitFor();
      await page.getByRole('columnheader', { name: 'Last sign-in' }).waitFor();
      await page.locator('tr[data-username="search.pavel"]').getByText('never').waitFor();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
      await owner.context.close();
    }
  });
});
