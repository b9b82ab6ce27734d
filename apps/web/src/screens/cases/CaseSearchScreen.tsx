import { useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent } from 'react';
import { useSearchParams } from 'react-router';
import { serverNow } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type {
  CaseSearchPage,
  CaseSearchScope,
  CaseSortField,
  CaseStatus,
  Service,
} from '../../api/types';
import { useResource } from '../../api/useResource';
import { useVocabulary } from '../../api/vocabulary';
import { DateInput } from '../../components/DateField';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { useMe } from '../../session/session';
import { SERVICE_ROLE, statusLabel } from './case-words';
import { CaseLink } from './CaseLink';
import { CaseStatusBadge } from './CaseStatusBadge';

const PAGE_SIZE = 25;
const STATUSES: CaseStatus[] = ['queued', 'assigned', 'in_progress', 'closed'];
const SERVICES: Service[] = ['legal', 'psych', 'emergency'];
const SORTS: CaseSortField[] = ['opened', 'due', 'priority'];

/**
 * Every filter the form has, as the address keeps it: codes and dates only, never anything
 * about a caller (the address ends up in the browser's history and the server's logs).
 */
const FILTERS = [
  'scope',
  'service',
  'status',
  'region',
  'topic',
  'openedFrom',
  'openedTo',
  'dueFrom',
  'dueTo',
  'overdue',
  'sort',
  'order',
] as const;
type FilterName = (typeof FILTERS)[number];
type Filters = Partial<Record<FilterName, string>>;

/** A day picked in the form (YYYY-MM-DD, the user's own day) as the instant it starts. */
const dayStart = (day: string) => new Date(`${day}T00:00:00`).toISOString();
/** The instant the day after `day` starts: "to" dates include their whole day. */
const dayAfter = (day: string) => {
  const next = new Date(`${day}T00:00:00`);
  next.setDate(next.getDate() + 1);
  return next.toISOString();
};

/** The server's query for the filters in the address and a page. */
function searchPath(filters: Filters, offset: number): string {
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = filters[name];
    if (!value) continue;
    if (name === 'openedFrom' || name === 'dueFrom') query.set(name, dayStart(value));
    else if (name === 'openedTo' || name === 'dueTo') query.set(name, dayAfter(value));
    else query.set(name, value);
  }
  query.set('limit', String(PAGE_SIZE));
  query.set('offset', String(offset));
  return `/api/cases/search?${query.toString()}`;
}

/**
 * Searching cases: a lawyer's, psychologist's or responder's own (any status), or, for a
 * coordinator, every case's metadata (never notes or topics). A form of codes and dates;
 * the results are a table whose rows the arrow keys move through, paged by the server.
 */
export function CaseSearchScreen() {
  const { t, label, dateTime } = useI18n();
  const me = useMe();
  const vocabulary = useVocabulary();
  const [params, setParams] = useSearchParams();
  const results = useRef<HTMLTableSectionElement>(null);

  const ownServices = SERVICES.filter((s) => me.roles.includes(SERVICE_ROLE[s]));
  const scopes: CaseSearchScope[] = [
    ...(ownServices.length > 0 ? (['mine'] as const) : []),
    ...(me.roles.includes('coordinator') ? (['board'] as const) : []),
  ];
  const fromAddress: Filters = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value) fromAddress[name] = value;
  }
  const scope: CaseSearchScope =
    fromAddress.scope && scopes.includes(fromAddress.scope as CaseSearchScope)
      ? (fromAddress.scope as CaseSearchScope)
      : (scopes[0] ?? 'mine');
  const applied: Filters = { ...fromAddress, scope };
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const page = useResource<CaseSearchPage>(searchPath(applied, offset));
  const [form, setForm] = useState<Filters>(applied);
  // Back and forward change the address under the form: the form follows it.
  const addressKey = params.toString();
  const [formAddress, setFormAddress] = useState(addressKey);
  if (formAddress !== addressKey) {
    setFormAddress(addressKey);
    setForm(applied);
  }
  const set = (name: FilterName, value: string) => setForm((f) => ({ ...f, [name]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const value = form[name];
      // A coordinator's board has no topics to filter by.
      if (value && !(name === 'topic' && form.scope === 'board')) next.set(name, value);
    }
    setParams(next);
  };
  const reset = () => {
    setForm({ scope });
    setParams(new URLSearchParams({ scope }));
  };
  const goTo = (nextOffset: number) => {
    const next = new URLSearchParams(params);
    next.set('offset', String(nextOffset));
    setParams(next);
  };

  /** Up and down move between the results, Home and End to the first and last. */
  const moveInResults = (event: KeyboardEvent<HTMLTableSectionElement>) => {
    const links = [...(results.current?.querySelectorAll<HTMLAnchorElement>('a') ?? [])];
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    const target =
      event.key === 'ArrowDown'
        ? links[Math.min(links.length - 1, at + 1)]
        : event.key === 'ArrowUp'
          ? links[Math.max(0, at - 1)]
          : event.key === 'Home'
            ? links[0]
            : event.key === 'End'
              ? links[links.length - 1]
              : undefined;
    if (!target) return;
    event.preventDefault();
    target.focus();
  };

  const formScope = (form.scope as CaseSearchScope | undefined) ?? scope;
  const services = formScope === 'board' ? SERVICES : ownServices;
  const now = serverNow();
  const data = page.data;
  // The board is metadata: no topics.
  const shows = (field: 'topics') => field === 'topics' && scope === 'mine';
  const byLabel = (kind: 'regions' | 'topics', codes: string[]) =>
    [...codes].sort((a, b) => label(kind, a).localeCompare(label(kind, b)));

  const select = (
    name: FilterName,
    caption: string,
    options: Array<{ value: string; label: string }>,
    any = true,
  ) => (
    <label className="filters__item">
      <span className="field__label">{caption}</span>
      <select
        className="input"
        name={name}
        value={form[name] ?? ''}
        onChange={(event) => set(name, event.target.value)}
      >
        {any ? <option value="">{t('search.any')}</option> : null}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
  // Typed in the user's language (DD.MM.YYYY in Russian), kept as YYYY-MM-DD.
  const dateField = (name: FilterName, caption: string) => (
    <div className="filters__item">
      <label className="field__label" htmlFor={`search-${name}`}>
        {caption}
      </label>
      <DateInput
        id={`search-${name}`}
        value={form[name] ?? ''}
        onChange={(value) => set(name, value)}
      />
    </div>
  );

  return (
    <section className="case-search">
      <div className="section-header">
        <h1 tabIndex={-1}>{t('search.title')}</h1>
      </div>
      <p className="field__hint">
        {scope === 'board' ? t('search.hintBoard') : t('search.hintMine')}
      </p>
      <form role="search" aria-label={t('search.formLabel')} onSubmit={submit}>
        {scopes.length > 1
          ? select(
              'scope',
              t('search.scope'),
              scopes.map((s) => ({ value: s, label: t(`search.scope.${s}`) })),
              false,
            )
          : null}
        <div className="filters case-search__filters">
          {select(
            'service',
            t('assign.service'),
            services.map((s) => ({ value: s, label: label('services', s) })),
          )}
          {select(
            'status',
            t('cases.status'),
            STATUSES.map((s) => ({ value: s, label: statusLabel(t, s) })),
          )}
          {select(
            'region',
            t('cases.region'),
            byLabel('regions', vocabulary.regions).map((r) => ({
              value: r,
              label: label('regions', r),
            })),
          )}
          {formScope === 'mine'
            ? select(
                'topic',
                t('search.topic'),
                byLabel('topics', vocabulary.topics).map((c) => ({
                  value: c,
                  label: label('topics', c),
                })),
              )
            : null}
          {dateField('openedFrom', t('search.openedFrom'))}
          {dateField('openedTo', t('search.openedTo'))}
          {dateField('dueFrom', t('search.dueFrom'))}
          {dateField('dueTo', t('search.dueTo'))}
          <label className="check case-search__overdue">
            <input
              type="checkbox"
              name="overdue"
              checked={form.overdue === 'true'}
              onChange={(event) => set('overdue', event.target.checked ? 'true' : '')}
            />
            <span>{t('search.overdueOnly')}</span>
          </label>
          {select(
            'sort',
            t('search.sort'),
            SORTS.map((s) => ({ value: s, label: t(`search.sort.${s}`) })),
            false,
          )}
          {select(
            'order',
            t('search.order'),
            [
              { value: 'desc', label: t('search.order.desc') },
              { value: 'asc', label: t('search.order.asc') },
            ],
            false,
          )}
        </div>
        <div className="case-search__actions">
          <button type="submit" className="button">
            {t('search.submit')}
          </button>
          <button type="button" className="button button--secondary" onClick={reset}>
            {t('search.reset')}
          </button>
        </div>
      </form>

      {page.error ? (
        <Notice tone="error">
          {t('search.failed')} {errorMessage(t, page.error)}
        </Notice>
      ) : null}
      <p className="case-search__count" role="status">
        {data
          ? data.total === 0
            ? t('search.none')
            : t('search.found', {
                count: data.total,
                from: data.offset + 1,
                to: data.offset + data.items.length,
              })
          : page.error
            ? null
            : t('app.loading')}
      </p>
      {data?.truncated ? <Notice tone="warning">{t('search.truncated')}</Notice> : null}
      {data && data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="table case-search__results">
            <caption className="visually-hidden">{t('search.resultsCaption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('cases.received')}</th>
                <th scope="col">{t('assign.service')}</th>
                <th scope="col">{t('cases.status')}</th>
                <th scope="col">{t('cases.region')}</th>
                {shows('topics') ? <th scope="col">{t('cases.topics')}</th> : null}
                <th scope="col">{t('cases.due')}</th>
              </tr>
            </thead>
            <tbody ref={results} onKeyDown={moveInResults}>
              {data.items.map((item) => {
                const overdue =
                  item.status !== 'closed' && !!item.dueAt && new Date(item.dueAt).getTime() < now;
                return (
                  <tr key={item.id}>
                    <td>
                      <CaseLink id={item.id} createdAt={item.createdAt} />
                    </td>
                    <td>{label('services', item.service)}</td>
                    <td>
                      <CaseStatusBadge status={item.status} service={item.service} />
                    </td>
                    <td>{item.region ? label('regions', item.region) : '—'}</td>
                    {shows('topics') ? (
                      <td>{(item.topics ?? []).map((c) => label('topics', c)).join(', ')}</td>
                    ) : null}
                    <td className={overdue ? 'overdue' : undefined}>
                      {item.dueAt ? dateTime(item.dueAt) : '—'}
                      {overdue ? (
                        <span className="badge badge--danger">{t('cases.overdue')}</span>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {data && data.total > PAGE_SIZE ? (
        <nav className="case-search__pages" aria-label={t('search.pages')}>
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={offset === 0}
            onClick={() => goTo(Math.max(0, offset - PAGE_SIZE))}
          >
            {t('search.previous')}
          </button>
          <span>
            {t('search.page', {
              page: Math.floor(offset / PAGE_SIZE) + 1,
              pages: Math.ceil(data.total / PAGE_SIZE),
            })}
          </span>
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={offset + PAGE_SIZE >= data.total}
            onClick={() => goTo(offset + PAGE_SIZE)}
          >
            {t('search.next')}
          </button>
        </nav>
      ) : null}
    </section>
  );
}
