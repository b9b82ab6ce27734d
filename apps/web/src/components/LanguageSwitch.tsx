import { useId } from 'react';
import { useI18n } from '../i18n/i18n';
import { LANGUAGES, type Language } from '../i18n/language';

/** Each language named in itself, so a person who cannot read the current one finds theirs. */
const NATIVE_NAMES: Record<Language, string> = { ru: 'Русский', en: 'English' };

export function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n();
  const labelId = useId();
  return (
    <div className="language-switch" role="group" aria-labelledby={labelId}>
      <span id={labelId} className="visually-hidden">
        {t('language.label')}
      </span>
      {LANGUAGES.map((code) => (
        <button
          key={code}
          type="button"
          lang={code}
          className="language-switch__option"
          aria-pressed={code === language}
          onClick={() => setLanguage(code)}
        >
          {NATIVE_NAMES[code]}
        </button>
      ))}
    </div>
  );
}
