import type { Language } from './language';

/**
 * The words a volunteer reads to the caller. The version travels with every recorded
 * consent (consent.textVersion), so a changed text needs a new version here.
 */
export const CONSENT_TEXT_VERSION = '2026-01';

export type ConsentScope =
  'service:legal' | 'service:psych' | 'service:emergency' | 'contact_back' | 'statistics';

export const CONSENT_SCOPES: readonly ConsentScope[] = [
  'service:legal',
  'service:psych',
  'service:emergency',
  'contact_back',
  'statistics',
];

interface Script {
  intro: string;
  lines: Record<ConsentScope, string>;
  closing: string;
}

export const CONSENT_SCRIPT: Record<Language, Script> = {
  ru: {
    intro:
      'Прежде чем мы продолжим: мы записываем минимум сведений о нашем разговоре, в зашифрованном виде, и используем их только для того, на что вы согласитесь. Ваше имя нам не нужно. От любого пункта можно отказаться, а согласие — отозвать в любой момент.',
    lines: {
      'service:legal': 'Можно передать ваш вопрос юристу нашей линии, чтобы он с ним работал?',
      'service:psych': 'Можно передать ваше обращение психологу нашей линии?',
      'service:emergency':
        'Можно сразу передать ваше обращение дежурному экстренной помощи, чтобы он связался с вами как можно скорее?',
      contact_back:
        'Можно ли нам связаться с вами позже? Если да — как и в какое время это для вас безопасно?',
      statistics:
        'Можно ли учесть этот разговор в обезличенной статистике — без имени и без контактов?',
    },
    closing: 'Спасибо. Если передумаете, просто скажите об этом при следующем обращении.',
  },
  en: {
    intro:
      'Before we go on: we keep a minimal, encrypted record of this conversation and use it only for what you agree to. We do not need your name. You can say no to any of this, and withdraw your consent at any time.',
    lines: {
      'service:legal': 'May we pass your question to one of our lawyers to work on?',
      'service:psych': 'May we pass your request to one of our psychologists?',
      'service:emergency':
        'May we pass this to our emergency responder right now, so they can reach you as soon as possible?',
      contact_back: 'May we contact you later? If so, how and at what times is it safe for you?',
      statistics:
        'May we count this conversation in anonymous statistics — no name, no contact details?',
    },
    closing: 'Thank you. If you change your mind, just tell us next time you get in touch.',
  },
};

/** Which consent scope lets a service see the case it raises. */
export const SCOPE_OF_SERVICE = {
  legal: 'service:legal',
  psych: 'service:psych',
  emergency: 'service:emergency',
} as const satisfies Record<string, ConsentScope>;
