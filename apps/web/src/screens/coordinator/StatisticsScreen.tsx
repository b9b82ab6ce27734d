import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { errorMessage } from '../../api/error-message';
import type { Service, StatPeriod, StatsResponse } from '../../api/types';
import { useResource } from '../../api/useResource';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { BarChart, LineChart, useValueText, type Bar } from './charts';
import { CsvDownload } from './CsvDownload';
import {
  BREAKDOWN,
  breakdown,
  defaultFilters,
  knownCount,
  periodLabel,
  periodsOf,
  publishedPeriod,
  sortedEntries,
  statsQuery,
  valueOf,
  type StatsFilters,
  type Value,
} from './stats';

const PERIODS: StatPeriod[] = ['day', 'week', 'month', 'quarter'];
const SERVICES: Service[] = ['legal', 'psych', 'emergency'];
/** Bars beyond this many are in the table only. */
const MAX_BARS = 12;

function FiltersForm({
  initial,
  onApply,
}: {
  initial: StatsFilters;
  onApply: (filters: StatsFilters) => void;
}) {
  const { t, label } = useI18n();
  const [draft, setDraft] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!draft.from || !draft.to || draft.from > draft.to) {
      setError(t('stats.rangeError'));
      return;
    }
    setError(null);
    onApply(draft);
  };
  return (
    <form
      className="filters filters--stats"
      onSubmit={submit}
      noValidate
      aria-label={t('stats.filters')}
    >
      <label className="filters__item">
        <span className="field__label">{t('stats.from')}</span>
        <input
          className="input"
          type="date"
          value={draft.from}
          onChange={(event) => setDraft((d) => ({ ...d, from: event.target.value }))}
        />
      </label>
      <label className="filters__item">
        <span className="field__label">{t('stats.to')}</span>
        <input
          className="input"
          type="date"
          value={draft.to}
          onChange={(event) => setDraft((d) => ({ ...d, to: event.target.value }))}
        />
      </label>
      <label className="filters__item">
        <span className="field__label">{t('stats.period')}</span>
        <select
          className="input"
          value={draft.period}
          onChange={(event) =>
            setDraft((d) => ({ ...d, period: event.target.value as StatPeriod }))
          }
        >
          {PERIODS.map((period) => (
            <option key={period} value={period}>
              {t(`stats.period.${period}`)}
            </option>
          ))}
        </select>
      </label>
      <label className="filters__item">
        <span className="field__label">{t('stats.service')}</span>
        <select
          className="input"
          value={draft.service ?? ''}
          onChange={(event) =>
            setDraft((d) => ({ ...d, service: (event.target.value || null) as Service | null }))
          }
        >
          <option value="">{t('stats.allContacts')}</option>
          {SERVICES.map((service) => (
            <option key={service} value={service}>
              {label('services', service)}
            </option>
          ))}
        </select>
      </label>
      <div className="filters__item filters__submit">
        <button type="submit" className="button">
          {t('stats.show')}
        </button>
      </div>
      {error ? (
        <p className="field__error filters__error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}

/**
 * Anonymised statistics for coordinators, as the API releases them: every number shown is a
 * published count, a withheld one reads "< k", and nothing is worked out from the rest.
 */
export function StatisticsScreen() {
  const { t, label, locale, number } = useI18n();
  const [filters, setFilters] = useState<StatsFilters>(() => defaultFilters(new Date()));
  const overTime = useResource<StatsResponse>(statsQuery(filters));
  const detail = useResource<StatsResponse>(statsQuery(filters, BREAKDOWN));
  const [chosenPeriod, setChosenPeriod] = useState<string | null>(null);

  const words = useMemo(
    () => ({
      quarter: (q: number, year: number) => t('stats.quarterOf', { q, year: String(year) }),
      week: (w: number, year: number) => t('stats.weekOf', { w, year: String(year) }),
    }),
    [t],
  );
  const periodName = (period: string) =>
    periodLabel(period, publishedPeriod(filters, BREAKDOWN), locale, words);

  const k = detail.data?.k ?? overTime.data?.k ?? 10;
  const text = useValueText(k);

  const linePoints = (overTime.data?.rows ?? [])
    .filter((row) => typeof row.period === 'string')
    .sort((a, b) => String(a.period).localeCompare(String(b.period)))
    .map((row) => ({
      key: String(row.period),
      label: periodName(String(row.period)),
      value: valueOf(row),
    }));
  const total = linePoints.reduce(
    (sum, p) => ({
      count: sum.count + knownCount(p.value),
      partial: sum.partial || p.value.kind === 'suppressed',
    }),
    { count: 0, partial: false },
  );

  const periods = periodsOf(detail.data);
  const period =
    chosenPeriod !== null && periods.includes(chosenPeriod)
      ? chosenPeriod
      : (periods[periods.length - 1] ?? null);

  const bars = (dimension: 'region' | 'topic'): Bar[] =>
    detail.data && period
      ? sortedEntries(breakdown(detail.data, period, [dimension]))
          .slice(0, MAX_BARS)
          .map(([code, value]) => ({
            key: code,
            label: label(dimension === 'region' ? 'regions' : 'topics', code),
            value,
          }))
      : [];
  const cells: Array<[string, Value]> =
    detail.data && period ? sortedEntries(breakdown(detail.data, period, BREAKDOWN)) : [];
  const anyWithheld =
    linePoints.some((p) => p.value.kind !== 'count') || cells.some(([, v]) => v.kind !== 'count');
  // Null when withheld (fewer than k, or its month's total is withheld): then not shown.
  const excluded = detail.data?.excludedWithoutConsent;

  return (
    <section className="stats">
      <h1 tabIndex={-1}>{t('stats.title')}</h1>
      <FiltersForm
        initial={filters}
        onApply={(next) => {
          setFilters(next);
          setChosenPeriod(null);
        }}
      />

      <div className="stats__explain" id="stats-explain">
        <p>
          <strong>{t('stats.suppressedTitle', { k })}</strong> {t('stats.suppressedText', { k })}
        </p>
        {typeof excluded === 'number' && excluded > 0 ? (
          <p>{t('stats.excluded', { count: excluded })}</p>
        ) : null}
        {detail.data?.withheldPeriods?.length ? <p>{t('stats.withheldPeriods')}</p> : null}
      </div>

      <section className="panel" aria-labelledby="stats-over-time">
        <div className="section-header">
          <h2 id="stats-over-time">{t('stats.overTime')}</h2>
          <CsvDownload href={statsQuery(filters, [], 'csv')} label={t('stats.csvOverTime')} />
        </div>
        {overTime.error ? (
          <Notice tone="error">
            {t('stats.loadFailed')} {errorMessage(t, overTime.error)}
          </Notice>
        ) : overTime.data === undefined ? (
          <p role="status">{t('app.loading')}</p>
        ) : linePoints.length === 0 ? (
          <p className="empty">{t('stats.noData')}</p>
        ) : (
          <>
            <p className="stats__total">
              {total.partial
                ? t('stats.totalAtLeast', { count: total.count })
                : t('stats.total', { count: total.count })}
            </p>
            <LineChart points={linePoints} k={k} title={t('stats.overTimeChart')} />
            <details className="stats__data">
              <summary>{t('stats.asTable')}</summary>
              <table className="table table--compact">
                <thead>
                  <tr>
                    <th scope="col">{t('stats.periodColumn')}</th>
                    <th scope="col" className="numeric">
                      {t('stats.count')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {linePoints.map((p) => (
                    <tr key={p.key}>
                      <td>{p.label}</td>
                      <td className="numeric">{text(p.value)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </>
        )}
      </section>

      <section className="panel" aria-labelledby="stats-breakdown">
        <div className="section-header">
          <h2 id="stats-breakdown">{t('stats.breakdown')}</h2>
          {periods.length > 0 ? (
            <label className="inline-field">
              <span>{t('stats.breakdownPeriod')}</span>
              <select
                className="input"
                value={period ?? ''}
                onChange={(event) => setChosenPeriod(event.target.value)}
              >
                {periods.map((p) => (
                  <option key={p} value={p}>
                    {periodName(p)}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <CsvDownload
            href={statsQuery(filters, BREAKDOWN, 'csv')}
            label={t('stats.csvBreakdown')}
          />
        </div>
        {detail.error ? (
          <Notice tone="error">
            {t('stats.loadFailed')} {errorMessage(t, detail.error)}
          </Notice>
        ) : detail.data === undefined ? (
          <p role="status">{t('app.loading')}</p>
        ) : cells.length === 0 ? (
          <p className="empty">{t('stats.noData')}</p>
        ) : (
          <>
            <div className="stats__bars">
              <BarChart bars={bars('region')} k={k} title={t('stats.byRegion')} />
              <BarChart bars={bars('topic')} k={k} title={t('stats.byTopic')} />
            </div>
            <h3 id="stats-table-title">{t('stats.table')}</h3>
            {/* It scrolls: focusable, so that a keyboard can scroll it too. */}
            <div
              className="table-wrap stats__table"
              role="region"
              aria-labelledby="stats-table-title"
              tabIndex={0}
            >
              <table className="table table--compact">
                <thead>
                  <tr>
                    <th scope="col">{t('cases.region')}</th>
                    <th scope="col">{t('stats.topic')}</th>
                    <th scope="col" className="numeric">
                      {t('stats.count')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {cells.map(([key, value]) => {
                    const [region = '', topic = ''] = key.split('|');
                    return (
                      <tr key={key}>
                        <td>{label('regions', region)}</td>
                        <td>{label('topics', topic)}</td>
                        <td
                          className={value.kind === 'suppressed' ? 'numeric withheld' : 'numeric'}
                          {...(value.kind === 'suppressed'
                            ? { 'aria-describedby': 'stats-explain' }
                            : {})}
                        >
                          {text(value)}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            {anyWithheld ? (
              <p className="field__hint">{t('stats.suppressedFootnote', { k: number(k) })}</p>
            ) : null}
          </>
        )}
      </section>
    </section>
  );
}
