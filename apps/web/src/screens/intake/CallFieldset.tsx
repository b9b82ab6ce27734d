import type { Choice } from '../../components/match';
import { Combobox } from '../../components/Combobox';
import { Field } from '../../components/Field';
import { useI18n } from '../../i18n/i18n';
import { FIELD_IDS } from './field-ids';
import type { FieldsetProps } from './fieldset-props';
import { parseClock } from './start-time';

/** When and how the call came, and from which region. */
export function CallFieldset({
  draft,
  vocabulary,
  change,
  fieldError,
  regions,
  now,
}: FieldsetProps & { regions: Choice[]; now: Date }) {
  const { t, label, date } = useI18n();
  const startedAt = parseClock(draft.startedAt, now);
  const elapsedMinutes = startedAt
    ? Math.max(0, Math.round((now.getTime() - startedAt.getTime()) / 60_000))
    : 0;
  return (
    <fieldset className="group">
      <legend>{t('intake.section.call')}</legend>
      <fieldset className="field radio-row" id={FIELD_IDS.channel} tabIndex={-1}>
        <legend className="field__label">{t('intake.channel')}</legend>
        {vocabulary.channels.map((code) => (
          <label key={code} className="radio">
            <input
              type="radio"
              name="channel"
              value={code}
              checked={draft.channel === code}
              onChange={() => change({ channel: code })}
              {...(draft.channel === code ? { 'data-autofocus': true } : {})}
            />
            {label('channels', code)}
          </label>
        ))}
      </fieldset>
      <div className="row row--when">
        <Field
          id={FIELD_IDS.startedAt}
          label={t('intake.startedAt')}
          hint={
            startedAt && startedAt.getDate() !== now.getDate()
              ? t('intake.yesterday', { date: date(startedAt) })
              : t('intake.today')
          }
          error={fieldError(FIELD_IDS.startedAt)}
        >
          {(control) => (
            <input
              {...control}
              className="input input--short"
              inputMode="numeric"
              autoComplete="off"
              placeholder={t('intake.startedAtPlaceholder')}
              value={draft.startedAt}
              onChange={(event) => change({ startedAt: event.target.value, startedAtEdited: true })}
            />
          )}
        </Field>
        <Field
          id={FIELD_IDS.duration}
          label={t('intake.duration')}
          hint={t('intake.durationHint', { minutes: elapsedMinutes })}
          error={fieldError(FIELD_IDS.duration)}
        >
          {(control) => (
            <input
              {...control}
              className="input input--short"
              inputMode="numeric"
              autoComplete="off"
              value={draft.durationMinutes}
              onChange={(event) => change({ durationMinutes: event.target.value })}
            />
          )}
        </Field>
        <Field
          id={FIELD_IDS.region}
          label={t('intake.region')}
          hint={t('intake.regionHint')}
          error={fieldError(FIELD_IDS.region)}
        >
          {(control) => (
            <Combobox
              control={control}
              choices={regions}
              value={draft.region}
              onChange={(region) => change({ region })}
              required
            />
          )}
        </Field>
      </div>
    </fieldset>
  );
}
