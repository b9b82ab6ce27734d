import type { Service, Vocabulary } from '../../api/types';
import { Field } from '../../components/Field';
import {
  CONSENT_SCOPES,
  CONSENT_SCRIPT,
  CONSENT_TEXT_VERSION,
  SCOPE_OF_SERVICE,
  type ConsentScope,
} from '../../i18n/consent-script';
import { useI18n } from '../../i18n/i18n';
import { RETENTION_CHOICES, type Draft, type DraftChange } from './draft';

const scopeId = (scope: ConsentScope) => `intake-consent-${scope.replace(':', '-')}`;

interface Props {
  draft: Draft;
  vocabulary: Vocabulary;
  /** Services asked for without their scope: their lines are marked. */
  missing: Service[];
  onChange: (change: DraftChange) => void;
  fieldError: (id: string) => string | undefined;
}

/**
 * The consent script, to be read aloud in the caller's language of the interface, one
 * checkbox per scope: the volunteer ticks what the caller agreed to, nothing by default.
 */
export function ConsentSection({ draft, vocabulary, missing, onChange, fieldError }: Props) {
  const { t, label, language } = useI18n();
  const script = CONSENT_SCRIPT[language];
  const needed = new Set<ConsentScope>(missing.map((service) => SCOPE_OF_SERVICE[service]));
  const offered = CONSENT_SCOPES.filter((scope) => vocabulary.consentScopes.includes(scope));

  const toggle = (scope: ConsentScope, on: boolean) =>
    onChange({
      scopes: on ? [...draft.scopes, scope] : draft.scopes.filter((s) => s !== scope),
    });

  return (
    <fieldset className="group consent">
      <legend>{t('intake.consent')}</legend>
      <p className="field__hint">
        {t('intake.consentReadAloud')}{' '}
        {t('intake.consentVersion', { version: CONSENT_TEXT_VERSION })}
      </p>
      <blockquote className="script">{script.intro}</blockquote>
      <ul className="consent__lines">
        {offered.map((scope) => (
          <li
            key={scope}
            className={needed.has(scope) ? 'consent__line consent__line--needed' : 'consent__line'}
          >
            <label className="check">
              <input
                id={scopeId(scope)}
                type="checkbox"
                checked={draft.scopes.includes(scope)}
                onChange={(event) => toggle(scope, event.target.checked)}
              />
              <span>
                <strong>{label('consentScopes', scope)}.</strong>{' '}
                <span className="script-line">{script.lines[scope]}</span>
              </span>
            </label>
          </li>
        ))}
      </ul>
      {draft.scopes.includes('contact_back') ? (
        <div className="row row--2 consent__contact-back">
          <Field
            id="intake-contact-back-channel"
            label={t('intake.contactBackChannel')}
            error={fieldError('intake-contact-back-channel')}
          >
            {(control) => (
              <select
                {...control}
                className="input"
                value={draft.contactBackChannel}
                onChange={(event) => onChange({ contactBackChannel: event.target.value })}
              >
                {vocabulary.channels
                  .filter((code) => code !== 'in_person')
                  .map((code) => (
                    <option key={code} value={code}>
                      {label('channels', code)}
                    </option>
                  ))}
              </select>
            )}
          </Field>
          <Field
            id="intake-contact-back-safe-times"
            label={t('intake.contactBackSafeTimes')}
            hint={t('intake.contactBackSafeTimesHint')}
            error={fieldError('intake-contact-back-safe-times')}
          >
            {(control) => (
              <input
                {...control}
                className="input"
                autoComplete="off"
                maxLength={200}
                value={draft.contactBackSafeTimes}
                onChange={(event) => onChange({ contactBackSafeTimes: event.target.value })}
              />
            )}
          </Field>
        </div>
      ) : null}
      <Field
        id="intake-retention"
        label={t('intake.retention')}
        error={fieldError('intake-retention')}
      >
        {(control) => (
          <select
            {...control}
            className="input input--short"
            value={draft.retentionDays}
            onChange={(event) => onChange({ retentionDays: Number(event.target.value) })}
          >
            {RETENTION_CHOICES.map((days) => (
              <option key={days} value={days}>
                {t('intake.retentionDays', { count: days })}
              </option>
            ))}
          </select>
        )}
      </Field>
      <p className="script script--closing">{script.closing}</p>
    </fieldset>
  );
}
