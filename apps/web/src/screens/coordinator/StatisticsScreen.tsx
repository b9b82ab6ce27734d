import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { serverNow } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { Service, StatPeriod, StatsResponse } from '../../api/types';
import { useResource } from '../../api/useResource';
import { DateInput } from '../../components/DateField';
import { Field } from '../../components/Field';
import { Notice } from '../../components/Notice';
import { addDays, dateInZone, formatDate, timeZoneName } from '../../i18n/dates';
import { useI18n, type MessageKey } from '../../i18n/i18n';
import type { VocabularyKind } from '../../i18n/vocabulary-labels';
import { BarChart, LineChart, useValueText, type Bar } from './charts';
import { CsvDownload } from './CsvDownload';
import {
  change,
  compareBreakdown,
  csvWithNames,
  DEFAULT_STATS_ZONE,
  defaultBreakdownPeriod,
  defaultFilters,
  defaultRange,
  DIMENSIONS_OF,
  isPartial,
  knownCount,
  periodLabel,
  periodsBetween,
  periodStart,
  previousLabel,
  publishedPeriod,
  statsQuery,
  valueOf,
  type Change,
  type Measure,
  type StatsFilters,
  type Value,
} from './stats';

const PERIODS: StatPeriod[] = ['day', 'week', 'month', 'quarter'];
const MEASURES: Measure[] = ['contacts', 'cases'];
const SERVICES: Service[] = ['legal', 'psych', 'emergency'];
/** Bars beyond this many are in the table only. */
const MAX_BARS = 12;

/** Where each dimension's codes get their names (the outcome's depend on what is counted). */
const VOCABULARY: Record<string, VocabularyKind> = {
  region: 'regions',
  topic: 'topics',
  channel: 'channels',
  service: 'services',
  ageBand: 'ageBands',
  genderIdentity: 'genderIdentities',
};
const SPECIAL_VALUES = new Set(['none', 'unstated', 'open', 'true', 'false']);

/** Today's date in the zone the statistics count days in. */
const todayIn = (zone: string) => dateInZone(serverNow(), zone).date;

function FiltersForm({
  initial,
  today,
  onApply,
}: {
  initial: StatsFilters;
  today: string;
  onApply: (filters: StatsFilters) => void;
}) {
  const { t, label } = useI18n();
  const [draft, setDraft] = useState(initial);
  // Until a date is typed, choosing a period length moves the range to its last complete ones.
  const [datesTyped, setDatesTyped] = useState(() => {
    const usual = defaultRange(initial.period, today);
    return usual.from !== initial.from || usual.to !== initial.to;
  });
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
  const typeDate = (field: 'from' | 'to', value: string) => {
    setDatesTyped(true);
    setDraft((d) => ({ ...d, [field]: value }));
  };
  return (
    <form
      className="filters filters--stats"
      onSubmit={submit}
      noValidate
      aria-label={t('stats.filters')}
    >
      <Field id="stats-from" className="filters__item" label={t('stats.from')}>
        {(control) => (
          <DateInput {...control} value={draft.from} onChange={(v) => typeDate('from', v)} />
        )}
      </Field>
      <Field id="stats-to" className="filters__item" label={t('stats.to')}>
        {(control) => (
          <DateInput {...control} value={draft.to} onChange={(v) => typeDate('to', v)} />
        )}
      </Field>
      <Field id="stats-period" className="filters__item" label={t('stats.period')}>
        {(control) => (
          <select
            {...control}
            className="input"
            value={draft.period}
            onChange={(event) => {
              const period = event.target.value as StatPeriod;
              setDraft((d) => ({
                ...d,
                period,
                ...(datesTyped ? {} : defaultRange(period, today)),
              }));
            }}
          >
            {PERIODS.map((period) => (
              <option key={period} value={period}>
                {t(`stats.period.${period}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field id="stats-measure" className="filters__item" label={t('stats.measure')}>
        {(control) => (
          <select
            {...control}
            className="input"
            value={draft.measure}
            onChange={(event) => {
              const measure = event.target.value as Measure;
              setDraft((d) => ({
                ...d,
                measure,
                dimension: DIMENSIONS_OF[measure].includes(d.dimension)
                  ? d.dimension
                  : DIMENSIONS_OF[measure][0]!,
              }));
            }}
          >
            {MEASURES.map((measure) => (
              <option key={measure} value={measure}>
                {t(`stats.measure.${measure}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field id="stats-dimension" className="filters__item" label={t('stats.dimension')}>
        {(control) => (
          <select
            {...control}
            className="input"
            value={draft.dimension}
            onChange={(event) => setDraft((d) => ({ ...d, dimension: event.target.value }))}
          >
            {DIMENSIONS_OF[draft.measure].map((dimension) => (
              <option key={dimension} value={dimension}>
                {t(`stats.dimension.${dimension}` as MessageKey)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field id="stats-service" className="filters__item" label={t('stats.service')}>
        {(control) => (
          <select
            {...control}
            className="input"
            value={draft.service ?? ''}
            onChange={(event) =>
              setDraft((d) => ({ ...d, service: (event.target.value || null) as Service | null }))
            }
          >
            <option value="">
              {draft.measure === 'cases' ? t('stats.measure.cases') : t('stats.allContacts')}
            </option>
            {SERVICES.map((service) => (
              <option key={service} value={service}>
                {label('services', service)}
              </option>
            ))}
          </select>
        )}
      </Field>
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
 * published count, a withheld one reads "< k", and nothing is worked out from the rest (a
 * change from the period before is shown only between two published counts).
 */
export function StatisticsScreen() {
  const { t, label, language, locale, number } = useI18n();
  // The zone the server counts days in, once it has said; until then its usual one.
  const [zone, setZone] = useState(DEFAULT_STATS_ZONE);
  const today = todayIn(zone);
  // Until the coordinator asks for something else: the last complete periods, by month.
  const [chosenFilters, setChosenFilters] = useState<StatsFilters | null>(null);
  const filters = chosenFilters ?? defaultFilters(today);
  const overTime = useResource<StatsResponse>(
    statsQuery(filters, [], undefined, { withPrevious: true }),
  );
  const groupBy = [filters.dimension];
  const detail = useResource<StatsResponse>(
    statsQuery(filters, groupBy, undefined, { withPrevious: true }),
  );
  const [chosenPeriod, setChosenPeriod] = useState<string | null>(null);
  const answeredZone = overTime.data?.timeZone ?? detail.data?.timeZone;
  if (answeredZone && answeredZone !== zone) setZone(answeredZone);
  const zoneName = timeZoneName(zone, locale, serverNow());

  const words = useMemo(
    () => ({
      quarter: (q: number, year: number) => t('stats.quarterOf', { q, year: String(year) }),
    }),
    [t],
  );
  const periodName = (period: string) => {
    const name = periodLabel(period, language, words);
    return isPartial(period, today) ? `${name} (${t('stats.partial')})` : name;
  };
  const valueName = (dimension: string, code: string): string => {
    if (dimension === 'outcome' && code !== 'open')
      return label(filters.measure === 'cases' ? 'caseOutcomes' : 'contactOutcomes', code);
    if (dimension === 'status') return t(`case.status.${code}` as MessageKey);
    if (SPECIAL_VALUES.has(code)) return t(`stats.value.${code}` as MessageKey);
    const kind = VOCABULARY[dimension];
    return kind ? label(kind, code) : code;
  };
  const dimensionName = t(`stats.dimension.${filters.dimension}` as MessageKey);
  const signed = new Intl.NumberFormat(locale, { signDisplay: 'exceptZero' });
  const percent = new Intl.NumberFormat(locale, {
    style: 'percent',
    maximumFractionDigits: 1,
    signDisplay: 'exceptZero',
  });
  const changeText = (c: Change): string =>
    c.kind === 'unknown'
      ? t('stats.changeUnknown')
      : c.percent === null
        ? c.delta === 0
          ? '0'
          : `${signed.format(c.delta)} (${t('stats.changeNew')})`
        : `${signed.format(c.delta)} (${percent.format(c.percent / 100)})`;

  const k = detail.data?.k ?? overTime.data?.k ?? 10;
  const text = useValueText(k);
  const countWord = filters.measure === 'cases' ? t('stats.countCases') : t('stats.count');

  // Each answer starts a period early, for the first period's comparison; that one is not shown.
  const published = new Map(
    (overTime.data?.rows ?? [])
      .filter((row) => typeof row.period === 'string')
      .map((row) => [String(row.period), valueOf(row)]),
  );
  // A period the answer leaves out had nothing in it: 0, as the API documents.
  const valueAt = (period: string | null): Value =>
    (period !== null ? published.get(period) : undefined) ?? { kind: 'count', count: 0 };
  const linePoints = overTime.data
    ? periodsBetween(filters.period, filters.from, filters.to).map((key) => ({
        key,
        label: periodName(key),
        value: valueAt(key),
      }))
    : [];
  const total = linePoints.reduce(
    (sum, p) => ({
      count: sum.count + knownCount(p.value),
      partial: sum.partial || p.value.kind === 'suppressed',
    }),
    { count: 0, partial: false },
  );
  const lastPoint = linePoints[linePoints.length - 1] ?? null;
  const lastPrevious = lastPoint ? previousLabel(lastPoint.key) : null;

  const breakdownPeriod = publishedPeriod(filters, groupBy);
  const periods = detail.data ? periodsBetween(breakdownPeriod, filters.from, filters.to) : [];
  const period =
    chosenPeriod !== null && periods.includes(chosenPeriod)
      ? chosenPeriod
      : defaultBreakdownPeriod(periods, filters.to, today);
  const previous = period ? previousLabel(period) : null;
  const compared =
    detail.data && period ? compareBreakdown(detail.data, period, previous, filters.dimension) : [];
  const bars: Bar[] = compared.slice(0, MAX_BARS).map((row) => ({
    key: row.key,
    label: valueName(filters.dimension, row.key),
    value: row.current,
  }));
  const anyWithheld =
    linePoints.some((p) => p.value.kind !== 'count') ||
    compared.some((r) => r.current.kind !== 'count' || r.previous.kind !== 'count');
  // Null when withheld (fewer than k, or its month's total is withheld): then not shown.
  const excluded = detail.data?.excludedWithoutConsent;

  const partialPeriod = [...linePoints].reverse().find((p) => isPartial(p.key, today));
  const now = dateInZone(serverNow(), zone);

  return (
    <section className="stats">
      <h1 tabIndex={-1}>{t('stats.title')}</h1>
      <FiltersForm
        key={JSON.stringify(filters)}
        initial={filters}
        today={today}
        onApply={(next) => {
          setChosenFilters(next);
          setChosenPeriod(null);
        }}
      />

      <div className="stats__explain" id="stats-explain">
        <p className="stats__zone">
          {t('stats.timeZone', { zone: zoneName.name, offset: zoneName.offset })}
        </p>
        {partialPeriod ? (
          <p className="stats__partial">
            {t('stats.partialNote', {
              period: periodLabel(partialPeriod.key, language, words),
              date: formatDate(now.date, language),
              time: now.time,
              offset: zoneName.offset,
            })}
          </p>
        ) : addDays(filters.to, 1) === periodStart(filters.period, today) ? (
          <p>{t('stats.lastComplete')}</p>
        ) : null}
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
          <h2 id="stats-over-time">
            {filters.measure === 'cases' ? t('stats.overTimeCases') : t('stats.overTime')}
          </h2>
          <CsvDownload href={statsQuery(filters, [], 'csv')} label={t('stats.csvOverTime')} />
        </div>
        {overTime.error ? (
          <Notice tone="error">
            {t('stats.loadFailed')} {errorMessage(t, overTime.error)}
          </Notice>
        ) : overTime.data === undefined ? (
          <p role="status">{t('app.loading')}</p>
        ) : published.size === 0 ? (
          <p className="empty">{t('stats.noData')}</p>
        ) : (
          <>
            <p className="stats__total">
              {total.partial
                ? t('stats.totalAtLeast', { count: total.count })
                : t('stats.total', { count: total.count })}
            </p>
            {lastPoint && lastPrevious ? (
              <p className="stats__compare-total" data-testid="stats-total-change">
                {change(lastPoint.value, valueAt(lastPrevious)).kind === 'unknown'
                  ? t('stats.totalChangeUnknown', {
                      period: lastPoint.label,
                      count: text(lastPoint.value),
                      previous: periodName(lastPrevious),
                      previousCount: text(valueAt(lastPrevious)),
                    })
                  : t('stats.totalChange', {
                      period: lastPoint.label,
                      count: text(lastPoint.value),
                      previous: periodName(lastPrevious),
                      previousCount: text(valueAt(lastPrevious)),
                      change: changeText(change(lastPoint.value, valueAt(lastPrevious))),
                    })}
              </p>
            ) : null}
            <LineChart
              points={linePoints}
              k={k}
              title={
                filters.measure === 'cases'
                  ? t('stats.overTimeChartCases')
                  : t('stats.overTimeChart')
              }
            />
            <details className="stats__data">
              <summary>{t('stats.asTable')}</summary>
              <table className="table table--compact">
                <thead>
                  <tr>
                    <th scope="col">{t('stats.periodColumn')}</th>
                    <th scope="col" className="numeric">
                      {countWord}
                    </th>
                    <th scope="col" className="numeric">
                      {t('stats.change')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {linePoints.map((p) => (
                    <tr key={p.key}>
                      <td>{p.label}</td>
                      <td className="numeric">{text(p.value)}</td>
                      <td className="numeric">
                        {changeText(change(p.value, valueAt(previousLabel(p.key))))}
                      </td>
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
          <h2 id="stats-breakdown">{t('stats.breakdownOf', { dimension: dimensionName })}</h2>
          {periods.length > 0 ? (
            <label className="inline-field">
              <span>{t('stats.breakdownPeriod')}</span>
              <select
                className="input"
                // Its own name: a label around a select would be read with the chosen option in it.
                aria-label={t('stats.breakdownPeriod')}
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
            href={statsQuery(filters, groupBy, 'csv')}
            label={t('stats.csvBreakdown')}
            transform={(csv) => csvWithNames(csv, groupBy, valueName)}
          />
        </div>
        {detail.error ? (
          <Notice tone="error">
            {t('stats.loadFailed')} {errorMessage(t, detail.error)}
          </Notice>
        ) : detail.data === undefined ? (
          <p role="status">{t('app.loading')}</p>
        ) : compared.length === 0 || !period ? (
          <p className="empty">{t('stats.noData')}</p>
        ) : (
          <>
            <div className="stats__bars stats__bars--one">
              <BarChart bars={bars} k={k} title={`${dimensionName}: ${periodName(period)}`} />
            </div>
            <h3 id="stats-table-title">{t('stats.comparison')}</h3>
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
                    <th scope="col">{dimensionName}</th>
                    <th scope="col" className="numeric">
                      {periodName(period)}
                    </th>
                    <th scope="col" className="numeric">
                      {previous ? periodName(previous) : ''}
                    </th>
                    <th scope="col" className="numeric">
                      {t('stats.change')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {compared.map((row) => (
                    <tr key={row.key}>
                      <th scope="row">{valueName(filters.dimension, row.key)}</th>
                      {[row.current, row.previous].map((value, index) => (
                        <td
                          key={index}
                          className={value.kind === 'suppressed' ? 'numeric withheld' : 'numeric'}
                          {...(value.kind === 'suppressed'
                            ? { 'aria-describedby': 'stats-explain' }
                            : {})}
                        >
                          {text(value)}
                        </td>
                      ))}
                      <td className="numeric">{changeText(row.change)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {anyWithheld ? (
              <p className="field__hint">{t('stats.suppressedFootnote', { k: number(k) })}</p>
            ) : null}
            <p className="field__hint">{t('stats.csvNames')}</p>
          </>
        )}
      </section>
    </section>
  );
}
