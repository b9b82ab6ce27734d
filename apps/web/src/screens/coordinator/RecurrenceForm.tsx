import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { Recurrence, Tier } from '../../api/types';
import { Field } from '../../components/Field';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { parseLocalDate, parseTime, showLocalDate } from './rota-week';
import type { People } from './RotaWeek';
import { PersonField, TierField } from './rota-fields';

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

type Problems = Partial<Record<'person' | 'startTime' | 'hours' | 'startsOn' | 'untilOn', string>>;

/**
 * A weekly shift: weekday, start (HH:MM) and length, from a date and optionally until one, on
 * the wall clock of the helpline's zone. Plain fields: a weekday list and typed times and dates.
 */
export function RecurrenceForm({
  people,
  zone,
  today,
  onAdded,
}: {
  people: People;
  zone: string;
  /** Today in the helpline's zone, YYYY-MM-DD. */
  today: string;
  onAdded: (recurrence: Recurrence) => void;
}) {
  const { t, number } = useI18n();
  const [tier, setTier] = useState<Tier>(1);
  const [userId, setUserId] = useState('');
  const [weekday, setWeekday] = useState(1);
  const [startTime, setStartTime] = useState('20:00');
  const [hours, setHours] = useState('12');
  const [startsOn, setStartsOn] = useState(() => showLocalDate(today));
  const [untilOn, setUntilOn] = useState('');
  const [problems, setProblems] = useState<Problems>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const candidates = people[tier];
  const chosen = candidates.some((p) => p.userId === userId) ? userId : '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Problems = {};
    const time = parseTime(startTime);
    const length = Number(hours.trim().replace(',', '.'));
    const minutes = Math.round(length * 60);
    const first = parseLocalDate(startsOn);
    const last = untilOn.trim() === '' ? null : parseLocalDate(untilOn);
    if (!chosen) found.person = t('rota.errorPerson');
    if (!time) found.startTime = t('rota.errorTime');
    if (hours.trim() === '' || !Number.isFinite(length) || minutes < 15 || minutes > 10_080)
      found.hours = t('rota.errorHours');
    if (!first) found.startsOn = t('rota.errorLocalDate');
    if (untilOn.trim() !== '' && !last) found.untilOn = t('rota.errorLocalDate');
    else if (first && last && last < first) found.untilOn = t('rota.errorUntil');
    setProblems(found);
    setGeneral(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      onAdded(
        await api.post<Recurrence>('/api/rota/recurrences', {
          userId: chosen,
          tier,
          weekday,
          startTime: time,
          durationMinutes: minutes,
          startsOn: first,
          untilOn: last,
        }),
      );
    } catch (error) {
      if (error instanceof ApiError && error.code === 'wrong_tier_role')
        setProblems({ person: t('rota.wrongTierRole') });
      else setGeneral(`${t('rota.addFailed')} ${errorMessage(t, error)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel rota__add" onSubmit={(event) => void submit(event)} noValidate>
      <h2>{t('rota.recurringTitle')}</h2>
      <p className="field__hint">{t('rota.recurringHint', { zone })}</p>
      <div className="row rota-recurring__row">
        <TierField id="rota-rec-tier" label="rota.recTier" tier={tier} onChange={setTier} />
        <PersonField
          id="rota-rec-person"
          label="rota.recPerson"
          candidates={candidates}
          chosen={chosen}
          error={problems.person}
          onChange={setUserId}
        />
        <Field id="rota-rec-weekday" label={t('rota.recWeekday')}>
          {(control) => (
            <select
              {...control}
              className="input"
              value={weekday}
              onChange={(event) => setWeekday(Number(event.target.value))}
            >
              {WEEKDAYS.map((n) => (
                <option key={n} value={n}>
                  {t(`rota.weekday${n}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="rota-rec-start" label={t('rota.recStart')} error={problems.startTime}>
          {(control) => (
            <input
              {...control}
              className="input input--short"
              inputMode="numeric"
              autoComplete="off"
              value={startTime}
              onChange={(event) => setStartTime(event.target.value)}
            />
          )}
        </Field>
        <Field
          id="rota-rec-hours"
          label={t('rota.recHours')}
          error={problems.hours}
          hint={t('rota.recHoursHint', { max: number(168) })}
        >
          {(control) => (
            <input
              {...control}
              className="input input--short"
              inputMode="decimal"
              autoComplete="off"
              value={hours}
              onChange={(event) => setHours(event.target.value)}
            />
          )}
        </Field>
        <Field id="rota-rec-from" label={t('rota.recFrom')} error={problems.startsOn}>
          {(control) => (
            <input
              {...control}
              className="input input--date"
              inputMode="numeric"
              autoComplete="off"
              placeholder={t('rota.datePlaceholder')}
              value={startsOn}
              onChange={(event) => setStartsOn(event.target.value)}
            />
          )}
        </Field>
        <Field id="rota-rec-until" label={t('rota.recUntil')} error={problems.untilOn}>
          {(control) => (
            <input
              {...control}
              className="input input--date"
              inputMode="numeric"
              autoComplete="off"
              placeholder={t('rota.datePlaceholder')}
              value={untilOn}
              onChange={(event) => setUntilOn(event.target.value)}
            />
          )}
        </Field>
      </div>
      <div className="rota__add-button">
        <button type="submit" className="button" disabled={busy}>
          {t('rota.recAdd')}
        </button>
      </div>
      {general ? <Notice tone="error">{general}</Notice> : null}
    </form>
  );
}
