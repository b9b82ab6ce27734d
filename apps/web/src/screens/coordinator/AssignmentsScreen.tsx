import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError, serverNow } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { BoardCase, CaseStatus, Service, StaffMember } from '../../api/types';
import { useResource, useWhileVisible } from '../../api/useResource';
import { Dialog } from '../../components/Dialog';
import { DataTable } from '../../components/DataTable';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { SERVICE_ROLE, statusLabel } from '../cases/case-words';
import { OverdueWorkPanel } from './OverdueWork';
import { CaseLink } from '../cases/CaseLink';
import { CaseStatusBadge } from '../cases/CaseStatusBadge';

const SERVICES: Service[] = ['legal', 'psych', 'emergency'];
const OPEN_STATUSES: CaseStatus[] = ['queued', 'assigned', 'in_progress'];
const REFRESH_MS = 30_000;
const POOL = '';

type Filter = { service: Service | null; status: CaseStatus | null };

/** An emergency nobody acknowledged by its deadline: the coordinator must act on it now. */
export const overdueEmergency = (item: BoardCase, now: number): boolean =>
  item.service === 'emergency' &&
  item.status !== 'closed' &&
  item.acknowledgedAt === null &&
  item.dueAt !== null &&
  new Date(item.dueAt).getTime() < now;

function ReassignDialog({
  item,
  staff,
  onDone,
  onCancel,
}: {
  item: BoardCase;
  staff: StaffMember[];
  onDone: (assignee: string | null) => void;
  onCancel: () => void;
}) {
  const { t, label } = useI18n();
  const eligible = staff.filter((s) => s.roles.includes(SERVICE_ROLE[item.service]));
  const [choice, setChoice] = useState<string>(item.assigneeId ?? POOL);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const userId = choice === POOL ? null : choice;
    try {
      await api.put(`/api/cases/${item.id}/assignee`, { userId });
      onDone(userId);
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === 'invalid_assignee'
          ? t('assign.invalidAssignee')
          : e instanceof ApiError && e.code === 'invalid_state'
            ? t('case.invalidState')
            : errorMessage(t, e),
      );
    } finally {
      setBusy(false);
    }
  };

  const describe = (s: StaffMember) =>
    [
      s.onShift ? t('assign.onShift') : t('assign.offShift'),
      t('assign.load', { open: s.openCases, capacity: s.capacity }),
      s.regions.length === 0
        ? t('assign.anyRegion')
        : s.regions.map((code) => label('regions', code)).join(', '),
    ].join(' · ');

  return (
    <Dialog
      title={t('assign.title', { service: label('services', item.service) })}
      onClose={onCancel}
    >
      <form onSubmit={(event) => void submit(event)}>
        <p className="field__hint">
          {label('regions', item.region)} · {statusLabel(t, item.status, item.service)}
        </p>
        <fieldset className="field checks assign__choices">
          <legend className="field__label">{t('assign.who')}</legend>
          <label className="check">
            <input
              type="radio"
              name="assignee"
              value={POOL}
              checked={choice === POOL}
              onChange={() => setChoice(POOL)}
            />
            <span>
              {t('assign.toPool')}
              <span className="field__hint assign__detail">{t('assign.toPoolHint')}</span>
            </span>
          </label>
          {eligible.map((s) => (
            <label key={s.userId} className="check">
              <input
                type="radio"
                name="assignee"
                value={s.userId}
                checked={choice === s.userId}
                onChange={() => setChoice(s.userId)}
              />
              <span>
                {s.username}
                <span className="field__hint assign__detail">{describe(s)}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {eligible.length === 0 ? <p>{t('assign.nobody')}</p> : null}
        {error ? (
          <p className="notice notice--error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button
            type="submit"
            className="button"
            disabled={busy || choice === (item.assigneeId ?? POOL)}
          >
            {t('assign.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * The coordinator's view of open cases: counts by service and status, the cases themselves
 * (metadata only: never content), and reassignment to someone who serves the service.
 */
export function AssignmentsScreen() {
  const { t, label, dateTime } = useI18n();
  const board = useResource<BoardCase[]>('/api/cases?view=board');
  const staff = useResource<StaffMember[]>('/api/staff');
  const [filter, setFilter] = useState<Filter>({ service: null, status: null });
  const [editing, setEditing] = useState<BoardCase | null>(null);
  const [flash, setFlash] = useState<string | null>(null);

  useWhileVisible(() => {
    void board.reload();
  }, REFRESH_MS);

  const counts = useMemo(() => {
    const result = new Map<string, number>();
    for (const item of board.data ?? [])
      result.set(
        `${item.service}:${item.status}`,
        (result.get(`${item.service}:${item.status}`) ?? 0) + 1,
      );
    return result;
  }, [board.data]);

  const nameOf = (userId: string | null) =>
    userId === null
      ? null
      : (staff.data?.find((s) => s.userId === userId)?.username ?? t('case.actor.colleague'));

  const now = serverNow();
  const overdue = (board.data ?? []).filter((item) => overdueEmergency(item, now));
  // Overdue emergencies first: they are what the board is for.
  const shown = (board.data ?? [])
    .filter(
      (item) =>
        (filter.service === null || item.service === filter.service) &&
        (filter.status === null || item.status === filter.status),
    )
    .sort((a, b) => Number(overdueEmergency(b, now)) - Number(overdueEmergency(a, now)));

  const pick = (service: Service | null, status: CaseStatus | null) =>
    setFilter((current) =>
      current.service === service && current.status === status
        ? { service: null, status: null }
        : { service, status },
    );

  return (
    <section className="assignments">
      <div className="section-header">
        <h1 tabIndex={-1}>{t('assign.screenTitle')}</h1>
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={() => void Promise.all([board.reload(), staff.reload()])}
        >
          {t('common.refresh')}
        </button>
      </div>
      <p className="field__hint">{t('assign.hint')}</p>
      {flash ? <Notice tone="success">{flash}</Notice> : null}
      <OverdueWorkPanel nameOf={nameOf} />
      {overdue.length > 0 ? (
        <Notice tone="error">{t('assign.overdueEmergencies', { count: overdue.length })}</Notice>
      ) : null}
      {board.error ? (
        <Notice tone="error">
          {t('assign.loadFailed')} {errorMessage(t, board.error)}
        </Notice>
      ) : null}
      {staff.error ? (
        <Notice tone="warning">
          {t('assign.staffFailed')} {errorMessage(t, staff.error)}
        </Notice>
      ) : null}

      <div className="table-wrap assignments__summary">
        <table className="table table--compact">
          <caption className="visually-hidden">{t('assign.summaryCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('assign.service')}</th>
              {OPEN_STATUSES.map((status) => (
                <th key={status} scope="col" className="numeric">
                  {statusLabel(t, status)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {SERVICES.map((service) => (
              <tr key={service}>
                <th scope="row">{label('services', service)}</th>
                {OPEN_STATUSES.map((status) => {
                  const n = counts.get(`${service}:${status}`) ?? 0;
                  const active = filter.service === service && filter.status === status;
                  return (
                    <td key={status} className="numeric">
                      <button
                        type="button"
                        className={active ? 'count-button count-button--active' : 'count-button'}
                        aria-pressed={active}
                        aria-label={t('assign.filterBy', {
                          service: label('services', service),
                          status: statusLabel(t, status),
                          count: n,
                        })}
                        onClick={() => pick(service, status)}
                      >
                        {n}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <div className="filters" role="group" aria-label={t('assign.filters')}>
        <label className="filters__item">
          <span className="field__label">{t('assign.service')}</span>
          <select
            className="input"
            value={filter.service ?? ''}
            onChange={(event) =>
              setFilter((f) => ({ ...f, service: (event.target.value || null) as Service | null }))
            }
          >
            <option value="">{t('assign.all')}</option>
            {SERVICES.map((service) => (
              <option key={service} value={service}>
                {label('services', service)}
              </option>
            ))}
          </select>
        </label>
        <label className="filters__item">
          <span className="field__label">{t('cases.status')}</span>
          <select
            className="input"
            value={filter.status ?? ''}
            onChange={(event) =>
              setFilter((f) => ({
                ...f,
                status: (event.target.value || null) as CaseStatus | null,
              }))
            }
          >
            <option value="">{t('assign.all')}</option>
            {OPEN_STATUSES.map((status) => (
              <option key={status} value={status}>
                {statusLabel(t, status)}
              </option>
            ))}
          </select>
        </label>
        <p className="filters__count" role="status">
          {t('assign.shown', { count: shown.length })}
        </p>
      </div>

      <DataTable
        items={board.data === undefined ? undefined : shown}
        failed={!!board.error}
        empty={t('assign.empty')}
        columns={[
          t('cases.received'),
          t('assign.service'),
          t('cases.status'),
          t('cases.region'),
          t('cases.ageBand'),
          t('cases.due'),
          t('case.assignee'),
          <span className="visually-hidden">{t('cases.actions')}</span>,
        ]}
        row={(item) => (
          <tr
            key={item.id}
            className={overdueEmergency(item, now) ? 'assignments__overdue' : undefined}
          >
            <td>
              <CaseLink id={item.id} createdAt={item.createdAt} />
            </td>
            <td>{label('services', item.service)}</td>
            <td>
              <CaseStatusBadge status={item.status} service={item.service} />
            </td>
            <td>{label('regions', item.region)}</td>
            <td>{item.ageBand ? label('ageBands', item.ageBand) : '—'}</td>
            <td>
              {item.dueAt ? dateTime(item.dueAt) : '—'}
              {overdueEmergency(item, now) ? (
                <span className="badge badge--danger">{t('assign.notAcknowledged')}</span>
              ) : null}
            </td>
            <td>
              {nameOf(item.assigneeId) ?? <span className="muted">{t('assign.unassigned')}</span>}
            </td>
            <td>
              <div className="table__actions">
                <button
                  type="button"
                  className="button button--secondary button--small"
                  disabled={staff.data === undefined}
                  onClick={() => setEditing(item)}
                >
                  {t('assign.reassign')}
                </button>
              </div>
            </td>
          </tr>
        )}
      />
      {editing && staff.data ? (
        <ReassignDialog
          item={editing}
          staff={staff.data}
          onCancel={() => setEditing(null)}
          onDone={(userId) => {
            setFlash(
              userId === null
                ? t('assign.doneToPool')
                : t('assign.done', { username: nameOf(userId) ?? '' }),
            );
            setEditing(null);
            void board.reload();
            void staff.reload();
          }}
        />
      ) : null}
    </section>
  );
}
