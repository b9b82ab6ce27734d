import type { Service } from '../../api/types';
import type { Choice } from '../../components/match';
import { MultiCombobox } from '../../components/Combobox';
import { Field } from '../../components/Field';
import { useI18n } from '../../i18n/i18n';
import { FIELD_IDS } from './field-ids';
import type { FieldsetProps } from './fieldset-props';

/** What the caller asks for: topics, danger, the services to pass it to, and a summary. */
export function RequestFieldset({
  draft,
  vocabulary,
  change,
  fieldError,
  topics,
  missingConsent,
}: FieldsetProps & { topics: Choice[]; missingConsent: Service[] }) {
  const { t, label } = useI18n();
  const toggleService = (service: Service, on: boolean) =>
    change({
      services: on ? [...draft.services, service] : draft.services.filter((s) => s !== service),
    });
  return (
    <fieldset className="group">
      <legend>{t('intake.section.request')}</legend>
      <Field
        id={FIELD_IDS.topics}
        label={t('intake.topics')}
        hint={t('intake.topicsHint')}
        error={fieldError(FIELD_IDS.topics)}
      >
        {(control) => (
          <MultiCombobox
            control={control}
            choices={topics}
            values={draft.topics}
            onChange={(topics) => change({ topics })}
          />
        )}
      </Field>
      <div className={draft.immediateRisk ? 'risk risk--on' : 'risk'}>
        <button
          id={FIELD_IDS.immediateRisk}
          type="button"
          role="switch"
          aria-checked={draft.immediateRisk}
          className="switch"
          onClick={() => change({ immediateRisk: !draft.immediateRisk })}
        >
          <span className="switch__track" aria-hidden="true">
            <span className="switch__thumb" />
          </span>
          <span className="switch__label">{t('intake.immediateRisk')}</span>
        </button>
        {draft.immediateRisk ? (
          <p className="risk__note" role="alert">
            {t('intake.immediateRiskOn')}
          </p>
        ) : null}
      </div>
      <fieldset className="field checks" id="intake-services">
        <legend className="field__label">{t('intake.services')}</legend>
        <div className="checks checks--inline">
          {vocabulary.services
            .filter((s): s is Service => s === 'legal' || s === 'psych' || s === 'emergency')
            .map((service) => (
              <label key={service} className="check">
                <input
                  id={`intake-service-${service}`}
                  type="checkbox"
                  checked={draft.services.includes(service)}
                  onChange={(event) => toggleService(service, event.target.checked)}
                />
                {label('services', service)}
              </label>
            ))}
        </div>
        {missingConsent.map((service) => (
          <p key={service} className="notice notice--warning" role="alert">
            {t('intake.missingConsent', { service: label('services', service) })}
          </p>
        ))}
      </fieldset>

      <Field
        id={FIELD_IDS.summary}
        label={t('intake.summary')}
        hint={t('intake.summaryHint')}
        error={fieldError(FIELD_IDS.summary)}
      >
        {(control) => (
          <textarea
            {...control}
            className="input"
            rows={3}
            maxLength={4000}
            value={draft.summary}
            onChange={(event) => change({ summary: event.target.value })}
          />
        )}
      </Field>
    </fieldset>
  );
}
