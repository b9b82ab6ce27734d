import { contactBody, createUser, signIn } from '@mayak/testing';
import {
  newPage,
  pageProblems,
  screenshot,
  signedInPage,
  signInThroughUi,
  useBrowserStack,
} from './support/browser';

jest.setTimeout(120_000);

/**
 * The referral directory in the browser, in Russian: a coordinator adds a shelter and retires
 * another; a volunteer on a call finds the shelter from the intake form by typing, saves the
 * contact with it, and sees it on their contacts of the day.
 */
describe('the referral directory (browser)', () => {
  const stack = useBrowserStack();

  it('a coordinator adds a shelter; a volunteer finds it during intake, saves the contact with it, and sees it on their contacts', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const volunteer = await createUser(stack.api.app, ['volunteer']);

    // The coordinator keeps the directory.
    const keeper = await signedInPage(stack.browser, stack.api.url, coordinator);
    try {
      const page = keeper.page;
      await page.getByRole('navigation').getByRole('link', { name: 'Справочник' }).click();
      await page.getByRole('heading', { name: 'Справочник: куда направить' }).waitFor();

      const addEntry = async (entry: {
        name: string;
        kind: string;
        region: string;
        contacts: string;
        address: string;
        notes: string;
      }) => {
        await page.getByRole('button', { name: 'Добавить запись' }).click();
        const form = page.getByRole('form', { name: 'Новая запись' });
        await form.waitFor();
        await form.getByLabel('Название или имя').fill(entry.name);
        await form.getByLabel('Вид', { exact: true }).selectOption({ label: entry.kind });
        await form.getByRole('combobox', { name: 'Регион' }).focus();
        await page.keyboard.type(entry.region);
        await page.keyboard.press('Enter');
        await form.getByLabel('Контакты').fill(entry.contacts);
        await form.getByLabel('Адрес').fill(entry.address);
        await form.getByLabel('Заметки').fill(entry.notes);
        await form.getByRole('button', { name: 'Сохранить запись' }).click();
        await page.getByText(`Запись «${entry.name}» сохранена.`).waitFor();
      };

      // A form with no name is refused on the spot, naming the field.
      await page.getByRole('button', { name: 'Добавить запись' }).click();
      await page.getByRole('button', { name: 'Сохранить запись' }).click();
      await page.locator('.error-summary').getByText('Укажите название или имя.').waitFor();
      await page.getByRole('button', { name: 'Отмена' }).click();

      await addEntry({
        name: 'Убежище «Радуга»',
        kind: 'Убежище',
        region: 'Санкт',
        contacts: '+7 812 000-00-00, signal: raduga',
        address: 'Лиговский проспект, 1',
        notes: 'Принимают на две недели.',
      });
      await addEntry({
        name: 'Радужный приют (закрыт)',
        kind: 'Убежище',
        region: 'Санкт',
        contacts: '+7 812 111-11-11',
        address: 'Невский проспект, 2',
        notes: 'Закрылся.',
      });
      const table = page.locator('.referrals__table');
      const row = (name: string) => table.getByRole('row').filter({ hasText: name });
      await row('Убежище «Радуга»').waitFor();
      expect(await row('Убежище «Радуга»').textContent()).toContain('Санкт-Петербург');

      // Retired: gone from the default view, back with "show retired".
      await page
        .getByRole('button', { name: 'Вывести из справочника «Радужный приют (закрыт)»' })
        .click();
      await page.getByText(/«Радужный приют \(закрыт\)» выведена из справочника/).waitFor();
      await row('Радужный приют (закрыт)').waitFor({ state: 'detached', timeout: 5_000 });
      await row('Убежище «Радуга»').waitFor();
      await page.getByLabel('Показывать выведенные из справочника').check();
      await page.getByRole('button', { name: 'Найти' }).click();
      await row('Радужный приют (закрыт)').getByText('Выведена').waitFor();
      await screenshot(page, 'referrals-directory');

      // The same screen in English.
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Referral directory' }).waitFor();
      await page.getByRole('columnheader', { name: 'Contact details' }).waitFor();
      await page.getByRole('button', { name: 'Add an entry' }).waitFor();
      await page.getByRole('button', { name: 'Русский' }).click();
      await page.getByRole('heading', { name: 'Справочник: куда направить' }).waitFor();
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await keeper.context.close();
    }

    // The volunteer, on a call.
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      await page.getByLabel('Регион').focus();
      await page.keyboard.type('санкт');
      await page.keyboard.press('Tab');
      await page.getByLabel('Краткое описание').fill('Выгнали из дома, нужно жильё');

      // The picker shows only once the outcome is a referral.
      expect(await page.getByRole('combobox', { name: 'Куда направили' }).count()).toBe(0);
      await page.getByLabel('Итог').selectOption('referred');
      const picker = page.getByRole('combobox', { name: 'Куда направили' });
      await picker.focus();
      // The retired entry is not offered.
      await page.keyboard.type('приют');
      await page.getByText('В справочнике ничего не нашлось.').waitFor();
      await picker.fill('');
      await page.keyboard.type('радуг');
      const offered = page.locator('.referral-picker').getByRole('listbox').getByRole('option');
      await offered.filter({ hasText: 'Убежище «Радуга»' }).waitFor();
      expect(await offered.allTextContents()).toEqual([
        'Убежище «Радуга» · Убежище · Санкт-Петербург',
      ]);
      // Enter takes the entry and does not save the form.
      await page.keyboard.press('Enter');
      const chosen = page.locator('.referral-picker .tag span');
      expect(await chosen.allTextContents()).toEqual(['Убежище «Радуга» · Убежище']);
      expect(await page.getByText('Обращение сохранено.').count()).toBe(0);
      await screenshot(page, 'intake-referral-picker');

      await page.keyboard.press('Control+Enter');
      await page.getByText('Обращение сохранено.').waitFor();
      // The next contact starts without it.
      expect(await page.getByLabel('Итог').inputValue()).toBe('information_given');

      const mine = page.locator('.mine');
      const saved = mine.getByRole('row').filter({ hasText: 'Выгнали из дома' });
      await saved.getByText('Убежище «Радуга»').waitFor();
      expect(await saved.textContent()).toContain('Передано специалисту');
      await mine.scrollIntoViewIfNeeded();
      await screenshot(page, 'intake-contact-with-referral');

      // What the server stored: the referral sealed with the contact, not a plain link.
      const [row] = await stack.env.db.query(
        `SELECT referrals_enc FROM contacts WHERE volunteer_id = $1`,
        [volunteer.id],
      );
      expect(row.referrals_enc).toBeInstanceOf(Buffer);

      // Volunteers may read the directory, not keep it.
      await page.getByRole('navigation').getByRole('link', { name: 'Справочник' }).click();
      await page.getByRole('heading', { name: 'Справочник: куда направить' }).waitFor();
      await page.getByText('Справочник ведут координаторы.', { exact: false }).waitFor();
      await page.locator('.referrals__table').getByText('Убежище «Радуга»').waitFor();
      expect(await page.getByRole('button', { name: 'Добавить запись' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /^Изменить/ }).count()).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the lawyer on the case sees where the caller was sent, and how to reach them', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const lawyer = await createUser(stack.api.app, ['lawyer']);
    const entry = await stack.http.post<{ id: string }>(
      '/api/referrals',
      {
        region: 'nationwide',
        kind: 'lawyer',
        name: 'Адвокат Смирнова',
        contactDetails: 'signal: +7 900 000-00-00',
        address: '',
        notes: 'Дела о «пропаганде».',
      },
      { token: await signIn(stack.http, coordinator) },
    );
    expect(entry.status).toBe(201);
    const saved = await stack.http.post<{ caseIds: string[] }>(
      '/api/contacts',
      contactBody({ referralIds: [entry.body.id] }),
      { token: await signIn(stack.http, volunteer) },
    );
    expect(saved.status).toBe(201);
    const caseId = saved.body.caseIds[0];
    const claimed = await stack.http.post(`/api/cases/${caseId}/claim`, undefined, {
      token: await signIn(stack.http, lawyer),
    });
    expect(claimed.status).toBe(200);

    const { context, page } = await signedInPage(stack.browser, stack.api.url, lawyer);
    try {
      await page.goto(`/cases/${caseId}`);
      const referred = page.locator('.facts__item').filter({ hasText: 'Куда направили' });
      await referred.getByText('Адвокат Смирнова').waitFor();
      expect(await referred.textContent()).toContain('signal: +7 900 000-00-00');
      expect(await referred.textContent()).toContain('(Юрист)');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the referral is part of the draft and of the frozen body: kept over a reload, and retried as first sent', async () => {
    const coordinator = await createUser(stack.api.app, ['coordinator']);
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const entry = await stack.http.post<{ id: string }>(
      '/api/referrals',
      {
        region: 'RU-SPE',
        kind: 'safe_housing',
        name: 'Квартира «Тихая»',
        contactDetails: '+7 812 222-22-22',
        address: 'сообщается по телефону',
        notes: '',
      },
      { token: await signIn(stack.http, coordinator) },
    );
    expect(entry.status).toBe(201);

    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      await page.getByLabel('Регион').focus();
      await page.keyboard.type('санкт');
      await page.keyboard.press('Tab');
      await page.getByLabel('Краткое описание').fill('Нужно безопасное жильё');
      await page.getByLabel('Итог').selectOption('referred');
      await page.getByRole('combobox', { name: 'Куда направили' }).focus();
      await page.keyboard.type('тих');
      await page
        .locator('.referral-picker')
        .getByRole('option', { name: /Квартира «Тихая»/ })
        .waitFor();
      await page.keyboard.press('Enter');
      const chosen = page.locator('.referral-picker .tag span');
      expect(await chosen.allTextContents()).toEqual(['Квартира «Тихая» · Безопасное жильё']);

      // A reload brings the draft back with its referral.
      await page.waitForTimeout(600);
      await page.reload();
      await page.getByText(/Несохранённое обращение, набранное до перезагрузки/).waitFor();
      expect(await chosen.allTextContents()).toEqual(['Квартира «Тихая» · Безопасное жильё']);

      // The first save's answer is lost after the commit; the retry sends the same body.
      const saves: string[] = [];
      page.on('request', (request) => {
        if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/contacts')
          saves.push(request.postData() ?? '');
      });
      let dropped = false;
      await page.route('**/api/contacts', async (route) => {
        if (dropped || route.request().method() !== 'POST') return route.fallback();
        dropped = true;
        await route.fetch();
        await route.abort('connectionreset');
      });
      await page.getByRole('button', { name: /^Сохранить обращение/ }).click();
      await page.getByText(/Сервер не ответил, поэтому неизвестно/).waitFor();
      await page.waitForTimeout(1_100);
      await page.getByRole('button', { name: /^Повторить/ }).click();
      await page.getByText('Обращение сохранено.').waitFor();
      expect(saves).toHaveLength(2);
      expect(saves[1]).toBe(saves[0]);
      expect(JSON.parse(saves[0])).toMatchObject({
        outcome: 'referred',
        referralIds: [entry.body.id],
      });

      // Saved once, with its referral.
      const mine = await stack.http.get<Array<{ summary: string | null; referralIds: string[] }>>(
        '/api/contacts/mine',
        { token: await signIn(stack.http, volunteer) },
      );
      expect(
        mine.body.filter((c) => c.summary === 'Нужно безопасное жильё').map((c) => c.referralIds),
      ).toEqual([[entry.body.id]]);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
