import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError, serverNow } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { Recurrence, RotaView, Shift, StaffMember, Tier } from '../../api/types';
import { useResource } from '../../api/useResource';
import { DateTimeInput } from '../../components/DateField';
import { ConfirmDialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { useMe } from '../../session/session';
import { RecurrenceForm } from './RecurrenceForm';
import { addDays, instantOf, mondayOf, showLocalDate, wallClock } from './rota-week';
import { RotaWeek } from './RotaWeek';
import { PersonField, TIERS, TierField } from './rota-fields';

const pad = (n: number) => String(n).padStart(2, '0');

/** A Date as the value of <input type="datetime-local"> (the laptop's own time zone). */
export function toLocalInput(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function nextHour(from: number): Date {
  const date = new Date(from);
  date.setMinutes(0, 0, 0);
  date.setHours(date.getHours() + 1);
  return date;
}

type Problems = Partial<Record<'person' | 'startsAt' | 'endsAt', string>>;

function AddShiftForm({
  people,
  onAdded,
}: {
  people: Record<Tier, Array<{ userId: string; username: string }>>;
  onAdded: (shift: Shift) => void;
}) {
  const { t } = useI18n();
  const [tier, setTier] = useState<Tier>(1);
  const [userId, setUserId] = useState('');
  const [startsAt, setStartsAt] = useState(() => toLocalInput(new Date(serverNow())));
  const [endsAt, setEndsAt] = useState(() =>
    toLocalInput(new Date(nextHour(serverNow()).getTime() + 11 * 3_600_000)),
  );
  const [problems, setProblems] = useState<Problems>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const candidates = people[tier];
  const chosen = candidates.some((p) => p.userId === userId) ? userId : '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Problems = {};
    const start = new Date(startsAt);
    const end = new Date(endsAt);
    if (!chosen) found.person = t('rota.errorPerson');
    if (Number.isNaN(start.getTime())) found.startsAt = t('rota.errorDate');
    if (Number.isNaN(end.getTime())) found.endsAt = t('rota.errorDate');
    else if (!found.startsAt && end.getTime() <= start.getTime())
      found.endsAt = t('rota.errorOrder');
    setProblems(found);
    setGeneral(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const shift = await api.post<Shift>('/api/rota/shifts', {
        userId: chosen,
        tier,
        startsAt: start.toISOString(),
        endsAt: end.toISOString(),
      });
      onAdded(shift);
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
      <h2>{t('rota.addTitle')}</h2>
      <div className="row rota__add-row">
        <TierField id="rota-tier" label="rota.tier" tier={tier} onChange={setTier} />
        <PersonField
          id="rota-person"
          label="rota.person"
          candidates={candidates}
          chosen={chosen}
          error={problems.person}
          onChange={setUserId}
        />
        <Field id="rota-starts" label={t('rota.startsAt')} error={problems.startsAt}>
          {(control) => <DateTimeInput {...control} value={startsAt} onChange={setStartsAt} />}
        </Field>
        <Field id="rota-ends" label={t('rota.endsAt')} error={problems.endsAt}>
          {(control) => <DateTimeInput {...control} value={endsAt} onChange={setEndsAt} />}
        </Field>
        <div className="rota__add-button">
          <button type="submit" className="button" disabled={busy}>
            {t('rota.add')}
          </button>
        </div>
      </div>
      <p className="field__hint">{tier === 3 ? t('rota.tier3Hint') : t('rota.tier12Hint')}</p>
      {general ? <Notice tone="error">{general}</Notice> : null}
    </form>
  );
}

function TimeoutForm({
  tier,
  seconds,
  onSaved,
}: {
  tier: Tier;
  seconds: number;
  onSaved: (timeouts: Record<Tier, number>) => void;
}) {
  const { t } = useI18n();
  const [value, setValue] = useState(String(seconds));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const n = Number(value.trim());
  const valid = value.trim() !== '' && Number.isInteger(n) && n >= 1 && n <= 86_400;
  const id = `rota-timeout-${tier}`;

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!valid) {
      setError(t('rota.timeoutError'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSaved(
        await api.put<Record<Tier, number>>(`/api/rota/tiers/${tier}`, { ackTimeoutSeconds: n }),
      );
    } catch (e) {
      setError(errorMessage(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="timeout" onSubmit={(event) => void save(event)} noValidate>
      <Field
        id={id}
        label={t(`rota.tierName${tier}`)}
        hint={
          valid ? t('rota.timeoutMinutes', { minutes: Math.round((n / 60) * 10) / 10 }) : undefined
        }
        error={error ?? undefined}
      >
        {(control) => (
          <div className="input-with-button">
            <input
              {...control}
              className="input input--short"
              inputMode="numeric"
              value={value}
              onChange={(event) => setValue(event.target.value)}
            />
            <button
              type="submit"
              className="button button--secondary button--small"
              disabled={busy || n === seconds}
            >
              {t('common.save')}
            </button>
          </div>
        )}
      </Field>
    </form>
  );
}

/**
 * Who is on call for emergencies, tier by tier, and how long each tier has to acknowledge
 * before the next is paged. Tiers 1 and 2 are responders; tier 3 are coordinators on duty.
 */
export function RotaScreen() {
  const { t, number } = useI18n();
  const me = useMe();
  const rota = useResource<RotaView>('/api/rota');
  const staff = useResource<StaffMember[]>('/api/staff');
  const [removing, setRemoving] = useState<Recurrence | null>(null);
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const now = serverNow();
  const zone = rota.data?.timeZone ?? null;
  const today = zone ? wallClock(now, zone).date : null;
  const thisWeek = today ? mondayOf(today) : null;
  const [chosenWeek, setWeek] = useState<string | null>(null);
  const weekStart = chosenWeek ?? thisWeek;
  const week = useResource<RotaView>(
    zone && weekStart
      ? `/api/rota?from=${encodeURIComponent(instantOf(weekStart, '00:00', zone).toISOString())}&to=${encodeURIComponent(instantOf(addDays(weekStart, 7), '00:00', zone).toISOString())}`
      : null,
  );
  const reloadBoth = () => Promise.all([rota.reload(), week.reload()]);

  // Tier 3 is for coordinators, whom /api/staff does not list: oneself, and anyone already on it.
  const people = useMemo(() => {
    const responders = (staff.data ?? [])
      .filter((s) => s.roles.includes('responder'))
      .map((s) => ({ userId: s.userId, username: s.username }));
    const coordinators = new Map<string, string>([[me.id, me.username]]);
    for (const shift of [...(rota.data?.onCall ?? []), ...(week.data?.onCall ?? [])])
      if (shift.tier === 3) coordinators.set(shift.userId, shift.username);
    return {
      1: responders,
      2: responders,
      3: [...coordinators].map(([userId, username]) => ({ userId, username })),
    } satisfies Record<Tier, Array<{ userId: string; username: string }>>;
  }, [staff.data, rota.data, week.data, me.id, me.username]);

  const onCallNow = (tier: Tier) =>
    (rota.data?.onCall ?? []).filter(
      (s) =>
        s.tier === tier &&
        new Date(s.startsAt).getTime() <= now &&
        new Date(s.endsAt).getTime() > now,
    );

  const recurrenceSummary = (r: Recurrence) =>
    t('rota.recSummary', {
      weekday: t(`rota.weekday${r.weekday}` as 'rota.weekday1'),
      time: r.startTime,
      hours: number(Math.round((r.durationMinutes / 60) * 100) / 100),
    });
  const recurrencePeriod = (r: Recurrence) =>
    r.untilOn
      ? t('rota.recPeriodUntil', {
          from: showLocalDate(r.startsOn),
          until: showLocalDate(r.untilOn),
        })
      : t('rota.recPeriod', { from: showLocalDate(r.startsOn) });

  const remove = async (recurrence: Recurrence) => {
    setBusy(true);
    try {
      await api.delete(`/api/rota/recurrences/${recurrence.id}`);
      // Both views reload before the confirmation shows, so it never sits beside a week that
      // still has the removed shifts in it.
      await reloadBoth();
      setFlash({ tone: 'success', text: t('rota.recRemoved', { username: recurrence.username }) });
      setRemoving(null);
    } catch (error) {
      setFlash({ tone: 'error', text: errorMessage(t, error) });
      setRemoving(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="rota">
      <h1 tabIndex={-1}>{t('rota.title')}</h1>
      {rota.error ? (
        <Notice tone="error">
          {t('rota.loadFailed')} {errorMessage(t, rota.error)}
        </Notice>
      ) : null}
      {flash ? <Notice tone={flash.tone}>{flash.text}</Notice> : null}
      {rota.data ? (
        <>
          <div className="rota__now" role="group" aria-label={t('rota.nowTitle')}>
            {TIERS.map((tier) => {
              const who = onCallNow(tier);
              return (
                <div key={tier} className={who.length > 0 ? 'oncall' : 'oncall oncall--empty'}>
                  <p className="oncall__tier">{t(`rota.tierName${tier}`)}</p>
                  <p className="oncall__who">
                    {who.length > 0 ? who.map((s) => s.username).join(', ') : t('rota.nobodyNow')}
                  </p>
                  <p className="oncall__timeout">
                    {t('rota.timeoutShort', { seconds: rota.data?.ackTimeoutSeconds[tier] ?? 0 })}
                  </p>
                </div>
              );
            })}
          </div>
          {onCallNow(1).length === 0 ? <Notice tone="warning">{t('rota.noTier1')}</Notice> : null}

          {week.error ? (
            <Notice tone="error">
              {t('rota.loadFailed')} {errorMessage(t, week.error)}
            </Notice>
          ) : null}
          {week.data && weekStart && thisWeek && today ? (
            <RotaWeek
              weekStart={weekStart}
              thisWeek={thisWeek}
              today={today}
              view={week.data}
              people={people}
              onWeek={setWeek}
              onChanged={(text) => {
                setFlash({ tone: 'success', text });
                void reloadBoth();
              }}
            />
          ) : null}

          <AddShiftForm
            people={people}
            onAdded={(shift) => {
              setFlash({ tone: 'success', text: t('rota.added', { username: shift.username }) });
              void reloadBoth();
            }}
          />

          {zone && today ? (
            <RecurrenceForm
              people={people}
              zone={zone}
              today={today}
              onAdded={(recurrence) => {
                setFlash({
                  tone: 'success',
                  text: t('rota.recAdded', { username: recurrence.username }),
                });
                void reloadBoth();
              }}
            />
          ) : null}

          <section className="panel" aria-labelledby="rota-recurrences-title">
            <h2 id="rota-recurrences-title">{t('rota.recurrences')}</h2>
            {rota.data.recurrences.length === 0 ? (
              <p className="empty">{t('rota.noRecurrences')}</p>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">{t('rota.tier')}</th>
                      <th scope="col">{t('rota.person')}</th>
                      <th scope="col">{t('rota.recWhen')}</th>
                      <th scope="col">{t('rota.recDates')}</th>
                      <th scope="col">
                        <span className="visually-hidden">{t('cases.actions')}</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {rota.data.recurrences.map((recurrence) => (
                      <tr key={recurrence.id}>
                        <td>{t(`rota.tierName${recurrence.tier}`)}</td>
                        <td>{recurrence.username}</td>
                        <td>{recurrenceSummary(recurrence)}</td>
                        <td>{recurrencePeriod(recurrence)}</td>
                        <td>
                          <div className="table__actions">
                            <button
                              type="button"
                              className="button button--secondary button--small"
                              aria-label={t('rota.recRemoveLabel', {
                                username: recurrence.username,
                              })}
                              onClick={() => setRemoving(recurrence)}
                            >
                              {t('rota.remove')}
                            </button>
                          </div>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section className="panel" aria-labelledby="rota-timeouts-title">
            <h2 id="rota-timeouts-title">{t('rota.timeoutsTitle')}</h2>
            <p className="field__hint">{t('rota.timeoutsHint')}</p>
            <div className="row row--thirds">
              {TIERS.map((tier) => (
                <TimeoutForm
                  key={`${tier}-${rota.data?.ackTimeoutSeconds[tier]}`}
                  tier={tier}
                  seconds={rota.data?.ackTimeoutSeconds[tier] ?? 0}
                  onSaved={(timeouts) => {
                    rota.setData((current) =>
                      current ? { ...current, ackTimeoutSeconds: timeouts } : current,
                    );
                    setFlash({ tone: 'success', text: t('rota.timeoutSaved') });
                  }}
                />
              ))}
            </div>
          </section>
        </>
      ) : rota.error ? null : (
        <p role="status">{t('app.loading')}</p>
      )}
      {removing ? (
        <ConfirmDialog
          title={t('rota.recRemoveTitle')}
          message={t('rota.recRemoveText', {
            username: removing.username,
            summary: recurrenceSummary(removing),
          })}
          confirmLabel={t('rota.remove')}
          cancelLabel={t('common.cancel')}
          danger
          busy={busy}
          onConfirm={() => void remove(removing)}
          onCancel={() => setRemoving(null)}
        />
      ) : null}
    </section>
  );
}
