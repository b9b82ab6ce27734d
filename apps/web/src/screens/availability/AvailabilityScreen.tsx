import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { Availability } from '../../api/types';
import { useResource } from '../../api/useResource';
import { useVocabulary } from '../../api/vocabulary';
import { MultiCombobox } from '../../components/Combobox';
import { Field } from '../../components/Field';
import type { Choice } from '../../components/match';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { REGION_CITIES } from '../../i18n/region-cities';
import { useMe } from '../../session/session';
import { WebhookSettings } from './WebhookSettings';

type Result = { tone: 'success' | 'error'; text: string } | null;

function AvailabilityForm({
  initial,
  responderOnly,
}: {
  initial: Availability;
  responderOnly: boolean;
}) {
  const { t, label } = useI18n();
  const vocabulary = useVocabulary();
  const [onShift, setOnShift] = useState(initial.onShift);
  const [capacity, setCapacity] = useState(String(initial.capacity));
  const [regions, setRegions] = useState<string[]>(initial.regions);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result>(null);
  const [capacityError, setCapacityError] = useState(false);

  const regionChoices = useMemo<Choice[]>(
    () =>
      vocabulary.regions
        .map((code) => ({
          value: code,
          label: label('regions', code),
          keywords: [code, ...(REGION_CITIES[code] ?? [])],
        }))
        .sort((a, b) => a.label.localeCompare(b.label)),
    [vocabulary, label],
  );

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const n = Number(capacity.trim());
    const capacityOk = capacity.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 1000;
    setCapacityError(!capacityOk);
    setResult(null);
    if (!capacityOk) {
      document.getElementById('availability-capacity')?.focus();
      return;
    }
    setBusy(true);
    try {
      const saved = await api.put<Availability>('/api/staff/me/availability', {
        onShift,
        capacity: n,
        regions,
      });
      setOnShift(saved.onShift);
      setCapacity(String(saved.capacity));
      setRegions(saved.regions);
      setResult({
        tone: 'success',
        text: saved.onShift ? t('availability.savedOn') : t('availability.savedOff'),
      });
    } catch (error) {
      setResult({
        tone: 'error',
        text:
          error instanceof ApiError && error.code === 'not_case_staff'
            ? t('availability.notStaff')
            : `${t('availability.failed')} ${errorMessage(t, error)}`,
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel availability" onSubmit={(event) => void save(event)} noValidate>
      <h2>{t('availability.title')}</h2>
      {responderOnly ? <p className="field__hint">{t('availability.responderNote')}</p> : null}
      <div className={onShift ? 'risk risk--shift-on' : 'risk'}>
        <button
          id="availability-on-shift"
          type="button"
          role="switch"
          aria-checked={onShift}
          className="switch"
          data-autofocus
          onClick={() => setOnShift((on) => !on)}
        >
          <span className="switch__track" aria-hidden="true">
            <span className="switch__thumb" />
          </span>
          <span className="switch__label">{t('availability.onShift')}</span>
        </button>
        <p className="field__hint">
          {onShift ? t('availability.onShiftOn') : t('availability.onShiftOff')}
        </p>
      </div>
      <div className="row row--2">
        <Field
          id="availability-capacity"
          label={t('availability.capacity')}
          hint={t('availability.capacityHint')}
          error={capacityError ? t('availability.capacityError') : undefined}
        >
          {(control) => (
            <input
              {...control}
              className="input input--short"
              inputMode="numeric"
              autoComplete="off"
              value={capacity}
              onChange={(event) => setCapacity(event.target.value)}
            />
          )}
        </Field>
        <Field
          id="availability-regions"
          label={t('availability.regions')}
          hint={t('availability.regionsHint')}
        >
          {(control) => (
            <MultiCombobox
              control={control}
              choices={regionChoices}
              values={regions}
              onChange={setRegions}
            />
          )}
        </Field>
      </div>
      {result ? <Notice tone={result.tone}>{result.text}</Notice> : null}
      <button type="submit" className="button" disabled={busy}>
        {busy ? t('common.saving') : t('availability.save')}
      </button>
    </form>
  );
}

/** Staff set when they take cases, how many at once, and from where; and how pages reach them. */
export function AvailabilityScreen() {
  const { t } = useI18n();
  const me = useMe();
  const current = useResource<Availability>('/api/staff/me/availability');
  return (
    <section className="settings">
      <h1 tabIndex={-1}>{t('availability.screenTitle')}</h1>
      {current.error ? (
        <Notice tone="error">
          {t('availability.loadFailed')} {errorMessage(t, current.error)}
        </Notice>
      ) : null}
      {current.data ? (
        <AvailabilityForm
          initial={current.data}
          responderOnly={
            me.roles.includes('responder') &&
            !me.roles.includes('lawyer') &&
            !me.roles.includes('psychologist')
          }
        />
      ) : current.error ? null : (
        <p role="status">{t('app.loading')}</p>
      )}
      <WebhookSettings pagedForEmergencies={me.roles.includes('responder')} />
    </section>
  );
}
