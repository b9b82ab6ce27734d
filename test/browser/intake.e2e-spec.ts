import { createUser } from '@mayak/testing';
import {
  newPage,
  pageProblems,
  screenshot,
  signInThroughUi,
  useBrowserStack,
} from './support/browser';

jest.setTimeout(90_000);

describe('the volunteer intake form (browser)', () => {
  const stack = useBrowserStack();

  it('the language switch turns the form into English and back, keeps what was typed, and is remembered', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      await page.getByLabel('Краткое описание').fill('Задержали после акции');
      expect(await page.locator('html').getAttribute('lang')).toBe('ru');
      await screenshot(page, 'intake-ru');

      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'New contact' }).waitFor();
      for (const label of ['Region', 'Topics', 'Summary', 'Outcome', 'Phone or handle'])
        expect(await page.getByLabel(label, { exact: true }).count()).toBe(1);
      expect(await page.getByRole('group', { name: 'Channel' }).count()).toBe(1);
      expect(await page.getByLabel('Phone', { exact: true }).isChecked()).toBe(true);
      await page.getByText('Immediate danger to life or liberty').waitFor();
      await page.getByText('May we pass your question to one of our lawyers to work on?').waitFor();
      expect(await page.getByRole('button', { name: /^Save contact/ }).count()).toBe(1);
      expect(await page.getByText('Новое обращение').count()).toBe(0);
      expect(await page.getByLabel('Summary').inputValue()).toBe('Задержали после акции');
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await screenshot(page, 'intake-en');

      // A reload (or the next shift on the same laptop) keeps the choice.
      await page.reload();
      await page.getByRole('heading', { name: 'New contact' }).waitFor();

      await page.getByRole('button', { name: 'Русский' }).click();
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
      await page
        .getByText('Можно передать ваш вопрос юристу нашей линии, чтобы он с ним работал?')
        .waitFor();
      expect(await page.getByText('New contact').count()).toBe(0);
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('is keyboard-first: region and topics by typing, a service without consent warns, the risk switch asks for emergency help', async () => {
    const volunteer = await createUser(stack.api.app, ['volunteer']);
    const { context, page } = await newPage(stack.browser, stack.api.url);
    try {
      await page.goto('/');
      await signInThroughUi(page, volunteer);
      await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();

      // The form starts on its first field with the defaults set.
      expect(await page.locator(':focus').inputValue()).toBe('phone');
      expect(await page.getByLabel('Телефон', { exact: true }).isChecked()).toBe(true);
      expect(await page.getByLabel('Начало').inputValue()).toMatch(/^\d{2}:\d{2}$/);
      expect(await page.getByLabel('Итог').inputValue()).toBe('information_given');

      // A city finds its region; Tab takes the highlighted choice and moves on.
      await page.getByLabel('Регион').focus();
      await page.keyboard.type('екатер');
      await page.keyboard.press('Tab');
      expect(await page.getByLabel('Регион').inputValue()).toBe('Свердловская область');

      await page.getByLabel('Темы').focus();
      await page.keyboard.type('задер');
      await page.keyboard.press('Enter');
      await page.keyboard.type('полиц');
      await page.keyboard.press('Enter');
      const tags = page.locator('.tag span');
      expect(await tags.allTextContents()).toEqual(['Задержание', 'Полиция']);
      await page.keyboard.press('Backspace');
      expect(await tags.allTextContents()).toEqual(['Задержание']);

      // Legal help without the caller's consent: a visible warning, and saving is held back.
      await page.getByLabel('Юридическая помощь').check();
      const warning = page.getByText(
        /Запрошена помощь «Юридическая помощь», но абонент не дал согласия/,
      );
      await warning.first().waitFor();
      expect(await page.getByLabel('Итог').inputValue()).toBe('referred');
      await page.getByRole('button', { name: /^Сохранить обращение/ }).click();
      await page
        .locator('.error-summary')
        .getByText(/Юридическая помощь/)
        .waitFor();
      await screenshot(page, 'intake-consent-warning');
      await page.getByLabel(/Передать юристу/).check();
      expect(await warning.count()).toBe(0);

      // The immediate-risk switch makes it an emergency and asks for that consent too.
      await page.getByRole('switch', { name: 'Непосредственная угроза жизни или свободе' }).click();
      expect(await page.getByLabel('Экстренная помощь').isChecked()).toBe(true);
      expect(await page.getByLabel('Итог').inputValue()).toBe('escalated');
      await page
        .getByText(/Запрошена помощь «Экстренная помощь»/)
        .first()
        .waitFor();
      await page.getByLabel(/Передать дежурному/).check();
      expect(await page.getByText(/Запрошена помощь/).count()).toBe(0);
      await screenshot(page, 'intake-emergency');
      expect(pageProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
