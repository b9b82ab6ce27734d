import type { Page, Request } from 'playwright-core';
import { createUser, eventually, listeningApi, signIn, type TestUser } from '@mayak/testing';
import {
  newPage,
  pageProblems,
  screenshot,
  signInThroughUi,
  useBrowserStack,
} from './support/browser';

jest.setTimeout(120_000);

const SAVE = /^(Сохранить обращение|Повторить)/;
const DRAFT_PREFIX = 'mayak.draft.';

/** The smallest contact the form saves: a region and a summary to find it by. */
async function fillContact(page: Page, summary: string): Promise<void> {
  await page.getByLabel('Регион').focus();
  await page.keyboard.type('москва');
  await page.keyboard.press('Tab');
  await page.getByLabel('Краткое описание').fill(summary);
}

/** Every POST /api/contacts the page sends: its Idempotency-Key and body. */
function recordSaves(page: Page): Array<{ key: string | undefined; body: string }> {
  const saves: Array<{ key: string | undefined; body: string }> = [];
  page.on('request', (request: Request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/contacts')
      saves.push({ key: request.headers()['idempotency-key'], body: request.postData() ?? '' });
  });
  return saves;
}

async function keptDrafts(page: Page): Promise<Record<string, string>> {
  const all = JSON.parse(
    await page.evaluate<string>('JSON.stringify({ ...localStorage })'),
  ) as Record<string, string>;
  return Object.fromEntries(Object.entries(all).filter(([name]) => name.startsWith(DRAFT_PREFIX)));
}

describe('saving a contact never loses or wedges a call (browser)', () => {
  const stack = useBrowserStack();

  /** How many of the volunteer's contacts carry this summary, as the API lists them. */
  const tokens = new Map<string, string>();
  const savedWith = async (volunteer: TestUser, summary: string): Promise<number> => {
    const token = tokens.get(volunteer.id) ?? (await signIn(stack.http, volunteer));
    tokens.set(volunteer.id, token);
    const mine = await stack.http.get<Array<{ summary: string | null }>>('/api/contacts/mine', {
      token,
    });
    return mine.body.filter((c) => c.summary === summary).length;
  };

  const openIntake = async (volunteer: TestUser, baseUrl = stack.api.url) => {
    const opened = await newPage(stack.browser, baseUrl);
    await opened.page.goto('/');
    await signInThroughUi(opened.page, volunteer);
    await opened.page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
    return opened;
  };

  it('an answer dropped after the commit: the retry sends the same body under the same key and saves once', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await openIntake(volunteer);
    try {
      const saves = recordSaves(page);
      let dropped = false;
      await page.route('**/api/contacts', async (route) => {
        if (dropped || route.request().method() !== 'POST') return route.fallback();
        dropped = true;
        // The server stores it and answers; the answer never reaches the page.
        await route.fetch();
        await route.abort('connectionreset');
      });
      await fillContact(page, 'ответ потерян после записи');
      await page.getByLabel('Как обращаться').fill('Лёша');
      await page.getByRole('button', { name: SAVE }).click();

      await page.getByText(/Сервер не ответил, поэтому неизвестно/).waitFor();
      // What was typed is on screen, frozen, and the button offers the same save again.
      expect(await page.getByLabel('Краткое описание').inputValue()).toBe(
        'ответ потерян после записи',
      );
      expect(await page.getByLabel('Краткое описание').isDisabled()).toBe(true);
      await screenshot(page, 'intake-answer-lost');

      // Seconds later (the old form recomputed the duration here), the retry still sends the
      // first body, byte for byte.
      await page.waitForTimeout(1_100);
      await page.getByRole('button', { name: /^Повторить/ }).click();
      await page.getByText('Обращение сохранено.').waitFor();
      expect(saves).toHaveLength(2);
      expect(saves[1]).toEqual(saves[0]);
      expect(saves[0].key).toMatch(/^[0-9a-f-]{36}$/);
      expect(await savedWith(volunteer, 'ответ потерян после записи')).toBe(1);

      // The form is ready for the next call: empty, editable, focus on the first field.
      expect(await page.getByLabel('Краткое описание').inputValue()).toBe('');
      expect(await page.getByLabel('Краткое описание').isDisabled()).toBe(false);
      const focused = page.locator(':focus');
      expect(await focused.getAttribute('name')).toBe('channel');
      expect(await focused.inputValue()).toBe('phone');
      expect(await keptDrafts(page)).toEqual({});
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a key refused as reused is "maybe saved": the form says which contact it became, and the next one saves', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await openIntake(volunteer);
    try {
      let tampered = false;
      await page.route('**/api/contacts', async (route) => {
        if (tampered || route.request().method() !== 'POST') return route.fallback();
        tampered = true;
        // What an older client did: the stored body differs from the one retried.
        const body = JSON.parse(route.request().postData()!) as { durationSeconds: number };
        await route.fetch({
          postData: JSON.stringify({ ...body, durationSeconds: body.durationSeconds + 60 }),
        });
        await route.abort('connectionreset');
      });
      await fillContact(page, 'ключ уже использован');
      await page.getByRole('button', { name: SAVE }).click();
      await page.getByText(/Сервер не ответил/).waitFor();
      await page.getByRole('button', { name: /^Повторить/ }).click();

      await page
        .getByText(/Это обращение уже было сохранено: \d{1,2}:\d{2}, Телефон, Москва/)
        .waitFor();
      await screenshot(page, 'intake-already-saved');
      expect(await savedWith(volunteer, 'ключ уже использован')).toBe(1);
      expect(await page.getByLabel('Краткое описание').isDisabled()).toBe(false);

      // Not wedged: the next contact goes through under a new key.
      await page.getByLabel('Краткое описание').fill('следующий звонок');
      await page.getByRole('button', { name: SAVE }).click();
      await page.getByText('Обращение сохранено.').waitFor();
      expect(await savedWith(volunteer, 'следующий звонок')).toBe(1);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a server paused mid-save (SIGSTOP): "still trying" after 5 s with the draft kept, and saved once it resumes', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const paused = await listeningApi(stack.env);
    const { context, page } = await openIntake(volunteer, `http://127.0.0.1:${paused.port}`);
    let stopped = false;
    try {
      await fillContact(page, 'сервер на паузе');
      paused.api.kill('SIGSTOP');
      stopped = true;
      const clicked = Date.now();
      await page.getByRole('button', { name: SAVE }).click();
      await page.getByText(/Всё ещё сохраняем/).waitFor({ timeout: 15_000 });
      expect(Date.now() - clicked).toBeGreaterThanOrEqual(4_900);
      expect(await page.getByLabel('Краткое описание').inputValue()).toBe('сервер на паузе');
      await screenshot(page, 'intake-still-trying');

      paused.api.kill('SIGCONT');
      stopped = false;
      await page.getByText('Обращение сохранено.').waitFor({ timeout: 20_000 });
      expect(await page.getByText(/Всё ещё сохраняем/).count()).toBe(0);
      expect(await savedWith(volunteer, 'сервер на паузе')).toBe(1);
    } finally {
      if (stopped) paused.api.kill('SIGCONT');
      await context.close();
      paused.api.kill('SIGTERM');
    }
  });

  it('plain Enter never saves; Ctrl+Enter does; "Clear the form" starts a new key', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await openIntake(volunteer);
    try {
      const saves = recordSaves(page);
      await fillContact(page, 'энтер не сохраняет');
      for (const field of ['Как обращаться', 'Телефон или ник', 'Начало', 'Длительность, мин']) {
        await page.getByLabel(field, { exact: true }).focus();
        await page.keyboard.press('Enter');
      }
      await page.getByLabel('Темы').focus();
      await page.keyboard.type('нет такой темы');
      await page.keyboard.press('Enter');
      await page.getByLabel('Телефон', { exact: true }).focus();
      await page.keyboard.press('Enter');
      await page.waitForTimeout(300);
      expect(saves).toHaveLength(0);
      await page.getByLabel('Темы').fill('');

      // The answer to the first save is lost; clearing the form then starts a new contact.
      let dropped = false;
      await page.route('**/api/contacts', async (route) => {
        if (dropped || route.request().method() !== 'POST') return route.fallback();
        dropped = true;
        await route.abort('connectionreset');
      });
      await page.getByLabel('Краткое описание').focus();
      await page.keyboard.press('Control+Enter');
      await page.getByText(/Сервер не ответил/).waitFor();
      expect(saves).toHaveLength(1);
      await page.getByRole('button', { name: 'Очистить форму' }).click();
      expect(await page.getByLabel('Краткое описание').inputValue()).toBe('');

      await fillContact(page, 'после очистки');
      await page.keyboard.press('Control+Enter');
      await page.getByText('Обращение сохранено.').waitFor();
      expect(saves).toHaveLength(2);
      expect(saves[1].key).not.toBe(saves[0].key);
      expect(await savedWith(volunteer, 'после очистки')).toBe(1);
      expect(await savedWith(volunteer, 'энтер не сохраняет')).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('the draft survives a reload and a crashed tab, encrypted on disk, and is wiped on sign-out and lock', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await openIntake(volunteer);
    try {
      await fillContact(page, 'Задержали у клуба на Тверской');
      await page.getByLabel('Как обращаться').fill('Серафима');
      const kept = await eventually('the draft to be kept', async () => {
        const found = Object.values(await keptDrafts(page));
        return found.length === 1 && found[0];
      });
      // Never in the clear on the laptop's disk.
      for (const secret of ['Тверской', 'Серафима', 'moscow', 'Moscow'])
        expect(kept).not.toContain(secret);
      expect(JSON.parse(kept)).toEqual({ v: 1, iv: expect.any(String), ct: expect.any(String) });

      await page.reload();
      await page.getByText(/Несохранённое обращение, набранное до перезагрузки/).waitFor();
      expect(await page.getByLabel('Краткое описание').inputValue()).toBe(
        'Задержали у клуба на Тверской',
      );
      expect(await page.getByLabel('Как обращаться').inputValue()).toBe('Серафима');

      // The tab crashes (no unload handlers run); a new tab of the same browser gets it back.
      await page.close({ runBeforeUnload: false });
      const tab = await context.newPage();
      await tab.goto('/');
      await tab.getByText(/Несохранённое обращение/).waitFor();
      expect(await tab.getByLabel('Краткое описание').inputValue()).toBe(
        'Задержали у клуба на Тверской',
      );

      // Signing out wipes it; signing in again starts an empty form.
      await tab.getByRole('button', { name: 'Выйти' }).click();
      await tab.getByLabel('Имя пользователя').waitFor();
      expect(await keptDrafts(tab)).toEqual({});
      await signInThroughUi(tab, volunteer);
      await tab.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      expect(await tab.getByLabel('Краткое описание').inputValue()).toBe('');

      // Locking wipes it too.
      await tab.getByLabel('Краткое описание').fill('перед блокировкой');
      await eventually(
        'the draft to be kept',
        async () => Object.keys(await keptDrafts(tab)).length === 1,
      );
      await tab.getByRole('button', { name: 'Заблокировать' }).click();
      await tab.getByLabel('Пароль').waitFor();
      expect(await keptDrafts(tab)).toEqual({});
      expect(pageProblems(tab)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a save whose answer was lost survives a reload: the retry still sends the first body', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await openIntake(volunteer);
    try {
      await page.route('**/api/contacts', async (route) => {
        if (route.request().method() !== 'POST') return route.fallback();
        await route.fetch();
        await route.abort('connectionreset');
      });
      await fillContact(page, 'перезагрузка после потери ответа');
      await page.getByRole('button', { name: SAVE }).click();
      await page.getByText(/Сервер не ответил/).waitFor();
      await eventually('the pending save to be kept', async () => {
        const [kept] = Object.values(await keptDrafts(page));
        return kept !== undefined;
      });
      await page.waitForTimeout(400);
      await page.unrouteAll();

      const saves = recordSaves(page);
      await page.reload();
      await page.getByText(/До перезагрузки страницы сохранение этого обращения/).waitFor();
      await page.getByRole('button', { name: /^Повторить/ }).click();
      await page.getByText('Обращение сохранено.').waitFor();
      expect(saves).toHaveLength(1);
      expect(JSON.parse(saves[0].body)).toMatchObject({
        summary: 'перезагрузка после потери ответа',
      });
      expect(await savedWith(volunteer, 'перезагрузка после потери ответа')).toBe(1);
    } finally {
      await context.close();
    }
  });
});
