import { Field } from '../../components/Field';
import { useI18n } from '../../i18n/i18n';
import { CallerHistory } from './CallerHistory';
import { FIELD_IDS } from './field-ids';
import type { MessageKey } from '../../i18n/i18n';
import type { FieldsetProps } from './fieldset-props';
import type { LookupState } from './useCallerLookup';

/** Who is calling, as far as they say: a number or handle, a name to use, who they are. */
export function CallerFieldset({
  draft,
  vocabulary,
  change,
  fieldError,
  lookup,
}: FieldsetProps & { lookup: LookupState }) {
  const { t, label } = useI18n();
  const selectOf = (
    id: string,
    labelKey: MessageKey,
    kind: 'ageBands' | 'genderIdentities' | 'orientations',
    key: 'ageBand' | 'genderIdentity' | 'orientation',
  ) => (
    <Field id={id} label={t(labelKey)} error={fieldError(id)}>
      {(control) => (
        <select
          {...control}
          className="input"
          value={draft[key]}
          onChange={(event) => change({ [key]: event.target.value })}
        >
          <option value="">{t('intake.notAsked')}</option>
          {vocabulary[kind].map((code) => (
            <option key={code} value={code}>
              {label(kind, code)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  return (
    <fieldset className="group">
      <legend>{t('intake.section.caller')}</legend>
      <div className="row row--2">
        <Field
          id={FIELD_IDS.identifier}
          label={t('intake.identifier')}
          hint={t('intake.identifierHint')}
          error={fieldError(FIELD_IDS.identifier)}
        >
          {(control) => (
            <input
              {...control}
              className="input"
              autoComplete="off"
              spellCheck={false}
              value={draft.identifier}
              onChange={(event) => change({ identifier: event.target.value })}
            />
          )}
        </Field>
        <Field
          id={FIELD_IDS.pseudonym}
          label={t('intake.pseudonym')}
          hint={t('intake.pseudonymHint')}
          error={fieldError(FIELD_IDS.pseudonym)}
        >
          {(control) => (
            <input
              {...control}
              className="input"
              autoComplete="off"
              value={draft.pseudonym}
              onChange={(event) => change({ pseudonym: event.target.value })}
            />
          )}
        </Field>
      </div>
      <div className="repeat-caller" aria-live="polite">
        {lookup.status === 'done' && lookup.previousContacts > 0 ? (
          <p className="notice notice--info repeat-caller__found">
            {t('intake.repeat', { count: lookup.previousContacts })}
          </p>
        ) : lookup.status === 'done' ? (
          <p className="field__hint">{t('intake.firstContact')}</p>
        ) : lookup.status === 'failed' ? (
          <p className="field__hint">{t('intake.lookupFailed')}</p>
        ) : null}
        <CallerHistory lookup={lookup} />
      </div>
      <div className="row row--3">
        {selectOf(FIELD_IDS.ageBand, 'intake.ageBand', 'ageBands', 'ageBand')}
        {selectOf(
          FIELD_IDS.genderIdentity,
          'intake.genderIdentity',
          'genderIdentities',
          'genderIdentity',
        )}
        {selectOf(FIELD_IDS.orientation, 'intake.orientation', 'orientations', 'orientation')}
      </div>
    </fieldset>
  );
}
