import { createUser, initCustody, sealedOverrides, TestUser } from '@mayak/testing';
import { Page } from 'playwright-core';
import {
  newPage,
  pageProblems,
  screenshot,
  signedInPage,
  signInThroughUi,
  useBrowserStack,
} from './support/browser';

jest.setTimeout(120_000);

describe('the duress password in the web UI (browser)', () => {
  let shares: string[] = [];
  const stack = useBrowserStack({
    env: sealedOverrides(),
    beforeStart: async (env) => {
      shares = await initCustody(env, { holders: 3, threshold: 2 });
    },
  });
  const duress = 'открыто, заходите, всё хорошо';

  const health = async () => (await stack.http.get<{ sealed: boolean }>('/api/health')).body.sealed;

  /** Key holders unseal over HTTP, as they would at other terminals. */
  const unsealOverHttp = async (pick: [number, number]) => {
    for (const i of pick) await stack.http.post('/api/unseal', { share: shares[i] });
    expect(await health()).toBe(false);
  };

  const storedHash = async (user: TestUser): Promise<string | null> => {
    const [row] = await stack.env.db.query(`SELECT duress_password_hash FROM users WHERE id = $1`, [
      user.id,
    ]);
    return row.duress_password_hash;
  };

  /** All the page keeps in its storage and address (a string, evaluated in the page). */
  const storedBy = (page: Page) =>
    page.evaluate<string>(
      'JSON.stringify([{ ...localStorage }, { ...sessionStorage }, location.href])',
    );

  beforeAll(async () => {
    await unsealOverHttp([0, 1]);
  });

  it('a volunteer has no duress password control: their name in the header is plain text', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, volunteer);
    try {
      await page.locator('.topbar__user').getByText(volunteer.username).waitFor();
      expect(await page.getByRole('button', { name: /Пароль под принуждением/ }).count()).toBe(0);
      expect(await page.locator('.topbar button.topbar__user').count()).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a coordinator sets a duress password from their name in the header; signing in with it looks like a sign-in and seals Mayak', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, coordinator);
    try {
      await page.getByRole('button', { name: /Пароль под принуждением/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Пароль под принуждением' });
      await dialog.getByText(/вход будет выглядеть как обычно, но система тут же/).waitFor();
      await dialog.getByText(/Вернуть её к работе смогут только хранители ключей/).waitFor();
      // Focus starts in the first field: the coordinator types at once.
      expect(await page.locator(':focus').getAttribute('id')).toBe('duress-current-password');
      const current = dialog.getByLabel('Ваш текущий пароль');
      const fresh = dialog.getByLabel('Пароль под принуждением', { exact: true });
      const repeat = dialog.getByLabel('Повторите пароль под принуждением');
      const fields = [current, fresh, repeat];
      for (const field of fields) expect(await field.getAttribute('type')).toBe('password');
      expect(await current.getAttribute('autocomplete')).toBe('current-password');
      expect(await fresh.getAttribute('autocomplete')).toBe('new-password');
      expect(await repeat.getAttribute('autocomplete')).toBe('new-password');
      const save = dialog.getByRole('button', { name: 'Сохранить пароль' });

      // Checked in the page first: too short, then not repeated alike, then the password itself.
      await current.fill(coordinator.password);
      await fresh.fill('короткий');
      await repeat.fill('короткий');
      await save.click();
      await dialog
        .getByText('Пароль под принуждением должен быть не короче 12 символов.')
        .first()
        .waitFor();
      await fresh.fill(duress);
      await repeat.fill(`${duress}!`);
      await save.click();
      await dialog.getByText('Пароли под принуждением не совпадают.').first().waitFor();
      await fresh.fill(coordinator.password);
      await repeat.fill(coordinator.password);
      await save.click();
      await dialog
        .getByText('Пароль под принуждением должен отличаться от вашего пароля.')
        .first()
        .waitFor();
      expect(await storedHash(coordinator)).toBeNull();

      // The server's answer to a wrong current password is shown, and nothing typed is kept.
      await current.fill('это не мой пароль вовсе');
      await fresh.fill(duress);
      await repeat.fill(duress);
      await save.click();
      await dialog.getByText('Текущий пароль неверен.').first().waitFor();
      for (const field of fields) expect(await field.inputValue()).toBe('');
      expect(await storedHash(coordinator)).toBeNull();

      // By keyboard: Enter in the last field saves.
      await current.fill(coordinator.password);
      await fresh.fill(duress);
      await repeat.fill(duress);
      await repeat.press('Enter');
      await dialog.getByText('Пароль под принуждением сохранён.').waitFor();
      for (const field of fields) expect(await field.inputValue()).toBe('');
      expect(await storedHash(coordinator)).toMatch(/^\$argon2id\$/);
      await screenshot(page, 'duress-password');
      expect(await storedBy(page)).not.toContain(duress);
      expect(await storedBy(page)).not.toContain(coordinator.password);
      await page.keyboard.press('Escape');
      expect(await dialog.count()).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }

    // Somewhere else, made to sign in: it looks like any sign-in, and Mayak is sealed.
    const forced = await newPage(stack.browser, stack.api.url);
    try {
      await forced.page.goto('/');
      await signInThroughUi(forced.page, { ...coordinator, password: duress });
      await forced.page.getByRole('heading', { name: 'Маяк запечатан' }).waitFor();
      expect(await forced.page.getByRole('navigation').count()).toBe(0);
      expect(await health()).toBe(true);
      expect(pageProblems(forced.page)).toEqual([]);
    } finally {
      await forced.context.close();
      await unsealOverHttp([1, 2]);
    }
  });

  it('an admin removes their duress password with only their current password', async () => {
    const admin = await createUser(stack.api.app, ['admin']);
    const { context, page } = await signedInPage(stack.browser, stack.api.url, admin);
    try {
      await page.getByRole('button', { name: /Пароль под принуждением/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Пароль под принуждением' });
      await dialog.getByLabel('Ваш текущий пароль').fill(admin.password);
      await dialog.getByLabel('Пароль под принуждением', { exact: true }).fill(duress);
      await dialog.getByLabel('Повторите пароль под принуждением').fill(duress);
      await dialog.getByRole('button', { name: 'Сохранить пароль' }).click();
      await dialog.getByText('Пароль под принуждением сохранён.').waitFor();
      expect(await storedHash(admin)).not.toBeNull();

      await dialog.getByLabel('Ваш текущий пароль').fill(admin.password);
      await dialog.getByRole('button', { name: 'Удалить пароль под принуждением' }).click();
      await dialog.getByText('Пароль под принуждением больше не действует.').waitFor();
      expect(await storedHash(admin)).toBeNull();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
