import { en } from '../../apps/web/src/i18n/messages.en';
import { ru } from '../../apps/web/src/i18n/messages.ru';
import { emergencyPagedMessage } from '../../apps/web/src/screens/intake/emergency-paged';

type Paged = Parameters<typeof emergencyPagedMessage>[0];
const inRussian = (paged: Paged) => (ru as Record<string, unknown>)[emergencyPagedMessage(paged)];
const inEnglish = (paged: Paged) => (en as Record<string, unknown>)[emergencyPagedMessage(paged)];

/** The confirmation after saving an emergency names who is paged, never more than the receipt says. */
describe('who an emergency pages, in the confirmation', () => {
  it('tier 1 keeps the general sentence; an empty tier 1 says who is paged instead', () => {
    expect(inRussian('tier1')).toBe('Экстренный случай создан: дежурный получает вызов.');
    expect(inRussian('tier2')).toMatch(
      /На первой линии сейчас никто не дежурит: вызов получает дежурный второй линии/,
    );
    expect(inRussian('coordinators')).toMatch(/вызов получают координаторы/);
    expect(inRussian('nobody')).toMatch(/вызвать некого/);
    expect(inEnglish('tier2')).toMatch(/No responder is on call at tier 1/);
    expect(inEnglish('nobody')).toMatch(/nobody to page/);
  });

  it('a receipt without the field (an older server) gets the general sentence, not a guess', () => {
    expect(emergencyPagedMessage(undefined)).toBe('intake.savedEmergency');
  });
});
