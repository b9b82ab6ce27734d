import {
  createUser,
  eventually,
  freshCode,
  reauthenticate,
  signInWithPasskey,
  SoftPasskey,
  TestUser,
} from '@mayak/testing';
import type { Page } from 'playwright-core';
import {
  newPage,
  pageProblems,
  plugInPasskey,
  screenshot,
  signInThroughUi,
  useBrowserStack,
  virtualAuthenticator,
} from './support/browser';

jest.setTimeout(120_000);

/**
 * Passkeys in the web UI (issue 12.4), with Chromium's virtual authenticator standing in for a
 * security key: coordinators and admins register one before anything else and then sign in
 * with it, a code alone no longer opens their account, and re-authentication takes the passkey.
 */
describe('passkeys (browser)', () => {
  const stack = useBrowserStack();

  const passkeyCount = async (userId: string): Promise<number> =>
    (
      await stack.env.db.query(`SELECT count(*)::int AS n FROM passkeys WHERE user_id = $1`, [
        userId,
      ])
    )[0].n;
  const secondFactors = async (userId: string): Promise<string[]> =>
    (
      await stack.env.db.query(
        `SELECT second_factor FROM sessions WHERE user_id = $1 ORDER BY created_at`,
        [userId],
      )
    ).map((row: { second_factor: string }) => row.second_factor);
  /** As if the session had been signed in six minutes ago: past the re-authentication window. */
  const ageSessionsOf = (userId: string) =>
    stack.env.db.query(
      `UPDATE sessions SET authenticated_at = now() - interval '6 minutes' WHERE user_id = $1`,
      [userId],
    );
  const mobile = async (page: Page, name: string) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, name);
    await page.setViewportSize({ width: 1280, height: 720 });
  };

  it('a new coordinator signs in with a code, must register a passkey first, and then signs in with it', async () => {
    const created = await createUser(stack.api.app, ['coordinator']);
    // A coordinator whose account has no passkey yet, as after enrolment.
    await stack.env.db.query(`DELETE FROM passkeys WHERE user_id = $1`, [created.id]);
    const coordinator: TestUser = { ...created };
    delete coordinator.passkey;
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      // The person's security key, with nothing on it yet.
      const { cdp, authenticatorId } = await virtualAuthenticator(page);
      await page.goto('/');
      await signInThroughUi(page, coordinator);

      // Nothing but the registration: no navigation, no screens.
      await page.getByRole('heading', { name: 'Регистрация ключа доступа', level: 1 }).waitFor();
      await page
        .getByText('Координаторы и администраторы входят в Маяк с ключом доступа.', {
          exact: false,
        })
        .waitFor();
      expect(await page.getByRole('navigation').count()).toBe(0);
      expect(await secondFactors(coordinator.id)).toEqual(['totp']);
      await screenshot(page, 'passkey-gate');
      await mobile(page, 'passkey-gate-mobile');

      // A name first; then the browser's ceremony, the server's check.
      await page.getByRole('button', { name: 'Зарегистрировать ключ' }).click();
      await page
        .locator('.error-summary')
        .getByText('Дайте ключу название длиной до 60 символов.')
        .waitFor();
      await page.getByLabel('Название ключа').fill('Рабочий ноутбук');
      await page.getByRole('button', { name: 'Зарегистрировать ключ' }).click();

      // Signed out, back at sign-in with the name kept, told to sign in with the passkey.
      await page.getByText('Ключ доступа зарегистрирован.', { exact: false }).waitFor();
      await page.getByRole('heading', { name: 'Вход' }).waitFor();
      expect(await page.getByLabel('Имя пользователя').inputValue()).toBe(coordinator.username);
      expect(await passkeyCount(coordinator.id)).toBe(1);
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      expect(credentials.map((c) => c.isResidentCredential)).toEqual([true]);
      // The code-only session has ended: it keeps its limits, it does not become a full one.
      await eventually('the code-only session to end', async () =>
        (await secondFactors(coordinator.id)).length === 0 ? true : undefined,
      );
      await screenshot(page, 'passkey-registered');

      await page.getByLabel('Пароль').fill(coordinator.password);
      await page.getByRole('button', { name: 'Войти с ключом доступа' }).click();
      await page.getByRole('navigation').getByRole('link', { name: 'Статистика' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/statistics');
      expect(await secondFactors(coordinator.id)).toEqual(['passkey']);
      const me = await page.request.get('/api/auth/me');
      expect(await me.json()).toMatchObject({
        username: coordinator.username,
        secondFactor: 'passkey',
        passkeyRegistrationRequired: false,
      });

      // Their passkeys, from the header: the one they made; the last one stays.
      await page.getByRole('link', { name: 'Ключи доступа' }).click();
      await page.getByRole('heading', { name: 'Ключи доступа', level: 1 }).waitFor();
      const row = page.locator('tbody tr').filter({ hasText: 'Рабочий ноутбук' });
      await row.getByRole('button', { name: 'Удалить ключ «Рабочий ноутбук»' }).click();
      const confirm = page.getByRole('dialog', { name: 'Удалить ключ «Рабочий ноутбук»?' });
      await confirm.getByRole('button', { name: 'Удалить ключ' }).click();
      await confirm.getByText('Это ваш последний ключ доступа', { exact: false }).waitFor();
      expect(await passkeyCount(coordinator.id)).toBe(1);
      await confirm.getByRole('button', { name: 'Отмена' }).click();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a coordinator with a passkey who types a code is told to use the passkey; a browser without it is explained', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      // The password and a right code: refused, and the way in said plainly.
      await signInThroughUi(page, coordinator, freshCode(coordinator));
      await page
        .getByRole('alert')
        .filter({ hasText: 'Эта учётная запись входит с ключом доступа, а не с кодом.' })
        .waitFor();
      // Its button takes focus: Enter goes on from there.
      await page.waitForFunction(
        "document.activeElement?.textContent === 'Войти с ключом доступа'",
      );
      expect(await page.getByLabel('Код из приложения').inputValue()).toBe('');
      expect(await secondFactors(coordinator.id)).toEqual([]);
      await screenshot(page, 'sign-in-passkey-required');
      await mobile(page, 'sign-in-passkey-required-mobile');

      // A device without this account's key: the browser answers nothing, and that is explained.
      await virtualAuthenticator(page);
      await page.getByRole('button', { name: 'Войти с ключом доступа' }).click();
      await page.getByText('браузер не получил ключ доступа', { exact: false }).waitFor();
      expect(await page.getByRole('navigation').count()).toBe(0);

      // With the key plugged in, the same button signs in.
      await plugInPasskey(page, coordinator.passkey!);
      await page.getByRole('button', { name: 'Войти с ключом доступа' }).click();
      await page.getByRole('navigation').waitFor();
      expect(await secondFactors(coordinator.id)).toEqual(['passkey']);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a coordinator removes a spare passkey after confirming it is them with the password and passkey', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    // A spare key, added over the API as another browser would have (sign in, confirm, add).
    const token = await signInWithPasskey(stack.http, coordinator, coordinator.passkey!);
    expect((await reauthenticate(stack.http, token, coordinator)).status).toBe(204);
    const spare = new SoftPasskey();
    const begun = await stack.http.post('/api/auth/passkeys/options', undefined, { token });
    const added = await stack.http.post(
      '/api/auth/passkeys',
      {
        ticket: begun.body.ticket,
        name: 'Запасной ключ',
        credential: spare.register(begun.body.options),
      },
      { token },
    );
    expect(added.status).toBe(201);

    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/passkeys');
      await signInThroughUi(page, coordinator);
      await page.getByRole('heading', { name: 'Ключи доступа', level: 1 }).waitFor();
      const rows = page.locator('tbody tr');
      await rows.filter({ hasText: 'Запасной ключ' }).waitFor();
      expect(await rows.count()).toBe(2);
      await screenshot(page, 'passkeys');
      await mobile(page, 'passkeys-mobile');

      await ageSessionsOf(coordinator.id);
      await page.getByRole('button', { name: 'Удалить ключ «Запасной ключ»' }).click();
      await page
        .getByRole('dialog', { name: 'Удалить ключ «Запасной ключ»?' })
        .getByRole('button', { name: 'Удалить ключ' })
        .click();
      const prompt = page.getByRole('dialog', { name: 'Подтвердите, что это вы' });
      await prompt.getByText('браузер попросит ключ доступа', { exact: false }).waitFor();
      expect(await prompt.getByLabel('Код из приложения').count()).toBe(0);
      await prompt.getByLabel('Пароль').fill(coordinator.password);
      await screenshot(page, 'reauthentication-passkey');
      await prompt.getByRole('button', { name: 'Подтвердить', exact: true }).click();

      await page.getByText('Ключ «Запасной ключ» удалён.').waitFor();
      expect(await rows.count()).toBe(1);
      expect(await passkeyCount(coordinator.id)).toBe(1);
      expect(await prompt.count()).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a volunteer adds a passkey of their own, and removes it after confirming with the password and a code', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await virtualAuthenticator(page);
      await page.goto('/');
      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      await page.getByRole('link', { name: 'Ключи доступа' }).click();
      await page.getByText('Ключей доступа пока нет.').waitFor();

      // The first needs nothing more than the session.
      await page.getByLabel('Название ключа').fill('Телефон');
      await page.getByRole('button', { name: 'Добавить ключ' }).click();
      await page.getByText('Ключ «Телефон» добавлен.').waitFor();
      expect(await passkeyCount(volunteer.id)).toBe(1);
      // The same device once more: it already holds this account's key, and says so.
      await page.getByLabel('Название ключа').fill('Телефон ещё раз');
      await page.getByRole('button', { name: 'Добавить ключ' }).click();
      await page.getByText('Этот ключ уже зарегистрирован', { exact: false }).waitFor();
      expect(await passkeyCount(volunteer.id)).toBe(1);

      // Removing it, long after signing in: the prompt offers the passkey, or the code instead.
      await ageSessionsOf(volunteer.id);
      await page.getByRole('button', { name: 'Удалить ключ «Телефон»' }).click();
      await page
        .getByRole('dialog', { name: 'Удалить ключ «Телефон»?' })
        .getByRole('button', { name: 'Удалить ключ' })
        .click();
      const prompt = page.getByRole('dialog', { name: 'Подтвердите, что это вы' });
      await prompt.getByRole('button', { name: 'Подтвердить кодом из приложения' }).click();
      await prompt.getByLabel('Пароль').fill(volunteer.password);
      await prompt.getByLabel('Код из приложения').fill(freshCode(volunteer));
      await prompt.getByRole('button', { name: 'Подтвердить', exact: true }).click();
      await page.getByText('Ключ «Телефон» удалён.').waitFor();
      await page.getByText('Ключей доступа пока нет.').waitFor();
      expect(await passkeyCount(volunteer.id)).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
