import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { OnCall, Recurrence, RotaView, Tier } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { addDays, columnOf, showLocalDate, wallClock, weekdayOf } from './rota-week';

export type People = Record<Tier, Array<{ userId: string; username: string }>>;

/** What a block in the calendar stands for. */
type Block =
  { kind: 'shift'; onCall: OnCall } | { kind: 'skipped'; recurrence: Recurrence; occursOn: string };

interface Props {
  /** The Monday (YYYY-MM-DD, in the rota's zone) of the week shown. */
  weekStart: string;
  view: RotaView;
  people: People;
  onWeek: (monday: string) => void;
  thisWeek: string;
  /** Today in the rota's zone, YYYY-MM-DD: its column is marked. */
  today: string;
  onChanged: (message: string) => void;
}

/**
 * The rota as a week: seven day columns in the helpline's zone, each with its shifts as blocks
 * in time order (one-off shifts, occurrences of recurring ones, replacements and skipped ones).
 * Every block is a button: a recurring occurrence can be skipped, replaced or restored there,
 * a one-off shift removed.
 */
export function RotaWeek({ weekStart, view, people, onWeek, thisWeek, today, onChanged }: Props) {
  const { t } = useI18n();
  const zone = view.timeZone;
  const [open, setOpen] = useState<Block | null>(null);
  const days = Array.from({ length: 7 }, (_, i) => addDays(weekStart, i));
  const weekEnd = addDays(weekStart, 6);

  // Each shift's day column, worked out once for the seven days.
  const columns = view.onCall.map((o) => columnOf(o.startsAt, o.endsAt, weekStart, zone));
  const blocksOn = (day: string): Block[] => {
    const shifts: Block[] = view.onCall
      .filter((_, i) => columns[i] === day)
      .map((onCall) => ({ kind: 'shift', onCall }));
    const skipped: Block[] = view.recurrences.flatMap((recurrence) =>
      recurrence.exceptions
        .filter((x) => x.kind === 'skip' && x.occursOn === day)
        .map((x) => ({ kind: 'skipped' as const, recurrence, occursOn: x.occursOn })),
    );
    const startOf = (b: Block) =>
      b.kind === 'shift' ? wallClock(b.onCall.startsAt, zone).time : b.recurrence.startTime;
    return [...shifts, ...skipped].sort((a, b) => startOf(a).localeCompare(startOf(b)));
  };

  const timesOf = (o: OnCall) => {
    const from = wallClock(o.startsAt, zone);
    const to = wallClock(o.endsAt, zone);
    return `${from.time}–${to.date === from.date ? to.time : t('rota.untilLater', { time: to.time, date: showLocalDate(to.date) })}`;
  };

  return (
    <section className="panel rota-week" aria-labelledby="rota-week-title">
      <div className="rota-week__head">
        <h2 id="rota-week-title">
          {t('rota.weekTitle', { from: showLocalDate(weekStart), to: showLocalDate(weekEnd) })}
        </h2>
        <div className="rota-week__nav">
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={() => onWeek(addDays(weekStart, -7))}
          >
            {t('rota.prevWeek')}
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={weekStart === thisWeek}
            onClick={() => onWeek(thisWeek)}
          >
            {t('rota.thisWeek')}
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={() => onWeek(addDays(weekStart, 7))}
          >
            {t('rota.nextWeek')}
          </button>
        </div>
      </div>
      <p className="field__hint">{t('rota.zoneNote', { zone })}</p>
      <div className="rota-week__days">
        {days.map((day) => {
          const blocks = blocksOn(day);
          const headingId = `rota-day-${day}`;
          return (
            <section
              key={day}
              className={day === today ? 'rota-day rota-day--today' : 'rota-day'}
              aria-labelledby={headingId}
              {...(day === today ? { 'aria-current': 'date' as const } : {})}
            >
              <h3 id={headingId} className="rota-day__title">
                {t(`rota.weekday${weekdayOf(day)}` as 'rota.weekday1')}{' '}
                <span className="rota-day__date">{showLocalDate(day)}</span>
              </h3>
              {blocks.length === 0 ? (
                <p className="rota-day__empty">{t('rota.dayEmpty')}</p>
              ) : (
                <ul className="rota-day__blocks">
                  {blocks.map((block) =>
                    block.kind === 'shift' ? (
                      <li
                        key={`${block.onCall.shiftId ?? block.onCall.recurrenceId}-${block.onCall.occursOn ?? ''}`}
                      >
                        <button
                          type="button"
                          className={`rota-block rota-block--tier${block.onCall.tier}`}
                          onClick={() => setOpen(block)}
                        >
                          <span className="rota-block__time">{timesOf(block.onCall)}</span>
                          <span className="rota-block__who">{block.onCall.username}</span>
                          <span className="rota-block__tier">
                            {t(`rota.tierName${block.onCall.tier}`)}
                          </span>
                          {block.onCall.recurrenceId ? (
                            <span className="rota-block__tag">
                              {block.onCall.replaced
                                ? t('rota.blockReplaced')
                                : t('rota.blockRecurring')}
                            </span>
                          ) : null}
                        </button>
                      </li>
                    ) : (
                      <li key={`skip-${block.recurrence.id}-${block.occursOn}`}>
                        <button
                          type="button"
                          className="rota-block rota-block--skipped"
                          onClick={() => setOpen(block)}
                        >
                          <span className="rota-block__time">{block.recurrence.startTime}</span>
                          <span className="rota-block__who">{block.recurrence.username}</span>
                          <span className="rota-block__tag">{t('rota.blockSkipped')}</span>
                        </button>
                      </li>
                    ),
                  )}
                </ul>
              )}
            </section>
          );
        })}
      </div>
      {open ? (
        <BlockDialog
          block={open}
          zone={zone}
          people={people}
          onClose={() => setOpen(null)}
          onDone={(message) => {
            setOpen(null);
            onChanged(message);
          }}
        />
      ) : null}
    </section>
  );
}

/** What can be done to one block: skip, replace or restore an occurrence; remove a shift. */
function BlockDialog({
  block,
  zone,
  people,
  onClose,
  onDone,
}: {
  block: Block;
  zone: string;
  people: People;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [standIn, setStandIn] = useState('');
  const [standInError, setStandInError] = useState<string | undefined>();

  const act = async (request: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(null);
    try {
      await request();
      onDone(message);
    } catch (e) {
      setError(`${t('rota.actionFailed')} ${errorMessage(t, e)}`);
    } finally {
      setBusy(false);
    }
  };

  if (block.kind === 'skipped') {
    const date = showLocalDate(block.occursOn);
    return (
      <Dialog
        title={t('rota.occTitle', { username: block.recurrence.username, date })}
        onClose={onClose}
      >
        <p>{t('rota.skippedText')}</p>
        {error ? <Notice tone="error">{error}</Notice> : null}
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={onClose}>
            {t('common.close')}
          </button>
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() =>
              void act(
                () =>
                  api.delete(
                    `/api/rota/recurrences/${block.recurrence.id}/exceptions/${block.occursOn}`,
                  ),
                t('rota.restored', { date }),
              )
            }
          >
            {t('rota.restore')}
          </button>
        </div>
      </Dialog>
    );
  }

  const o = block.onCall;
  const from = wallClock(o.startsAt, zone);
  const to = wallClock(o.endsAt, zone);
  const date = showLocalDate(o.occursOn ?? from.date);
  const exceptionPath = `/api/rota/recurrences/${o.recurrenceId}/exceptions/${o.occursOn}`;
  const candidates = people[o.tier].filter((p) => p.userId !== o.userId);

  const replace = (event: FormEvent) => {
    event.preventDefault();
    if (!standIn) {
      setStandInError(t('rota.errorPerson'));
      return;
    }
    setStandInError(undefined);
    const username = candidates.find((p) => p.userId === standIn)?.username ?? '';
    void act(
      () =>
        api.put(exceptionPath, {
          kind: 'replace',
          userId: standIn,
          startsAt: o.startsAt,
          endsAt: o.endsAt,
        }),
      t('rota.replaced', { date, username }),
    );
  };

  return (
    <Dialog title={t('rota.occTitle', { username: o.username, date })} onClose={onClose}>
      <p>
        {t(`rota.tierName${o.tier}`)}:{' '}
        {t('rota.occTimes', {
          from: `${showLocalDate(from.date)} ${from.time}`,
          to: `${showLocalDate(to.date)} ${to.time}`,
        })}
        {o.recurrenceId
          ? ` (${o.replaced ? t('rota.blockReplaced') : t('rota.blockRecurring')})`
          : ''}
      </p>
      {o.recurrenceId ? (
        <form onSubmit={replace} noValidate>
          <Field id="rota-stand-in" label={t('rota.replaceWith')} error={standInError}>
            {(control) => (
              <select
                {...control}
                className="input"
                value={standIn}
                onChange={(event) => setStandIn(event.target.value)}
              >
                <option value="">{t('rota.choosePerson')}</option>
                {candidates.map((p) => (
                  <option key={p.userId} value={p.userId}>
                    {p.username}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {error ? <Notice tone="error">{error}</Notice> : null}
          <div className="dialog__actions">
            <button type="button" className="button button--secondary" onClick={onClose}>
              {t('common.close')}
            </button>
            {o.replaced ? (
              <button
                type="button"
                className="button button--secondary"
                disabled={busy}
                onClick={() =>
                  void act(() => api.delete(exceptionPath), t('rota.restored', { date }))
                }
              >
                {t('rota.restore')}
              </button>
            ) : null}
            <button
              type="button"
              className="button button--danger"
              disabled={busy}
              onClick={() =>
                void act(
                  () => api.put(exceptionPath, { kind: 'skip' }),
                  t('rota.skipped', { date }),
                )
              }
            >
              {t('rota.skip')}
            </button>
            <button type="submit" className="button" disabled={busy}>
              {t('rota.replace')}
            </button>
          </div>
        </form>
      ) : (
        <>
          {error ? <Notice tone="error">{error}</Notice> : null}
          <div className="dialog__actions">
            <button type="button" className="button button--secondary" onClick={onClose}>
              {t('common.close')}
            </button>
            <button
              type="button"
              className="button button--danger"
              disabled={busy}
              onClick={() =>
                void act(
                  () => api.delete(`/api/rota/shifts/${o.shiftId}`),
                  t('rota.removed', { username: o.username }),
                )
              }
            >
              {t('rota.remove')}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
