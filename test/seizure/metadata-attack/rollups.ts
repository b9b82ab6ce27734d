import { AttributeScore, emptyScore, noteClaim } from './scoring';
import { ATTRIBUTES, Events } from './attributes';
import { SeizedTable } from './seizure';
import { TelephoneRecord } from './telephone-records';

/**
 * Aggregates attach too. A rollup table (found by shape: a primary key of a period column and
 * text dimensions, with integer counts beside it) says how many calls of a period, region
 * and channel had each value of an attribute. The attacker puts each telephone record in its
 * context (the period of its start, the region of its number, the phone channel) and reads the
 * attribute's distribution in the matching cells: a cell of 1 on a day with one call from a
 * region is the value of that call. With m calls in the context and t telephone records,
 * the record is one of them with probability min(1, m / t).
 */
export function rollupScores(
  tables: SeizedTable[],
  records: TelephoneRecord[],
  ev: Events,
  /** The calendar day (YYYY-MM-DD) of a moment in the statistics' time zone. */
  dayOf: (ms: number) => string,
): Array<{ table: string; count: string; scores: AttributeScore[] }> {
  const regions = new Set(records.map((r) => r.phoneRegion));
  const vocab = ATTRIBUTES.map(
    (_, a) => new Set(ev.list.filter((e) => e.attribute === a).map((e) => e.value)),
  );
  const results: Array<{ table: string; count: string; scores: AttributeScore[] }> = [];
  for (const table of tables) {
    const period = table.columns.find(
      (c) => c.type === 'date' && table.keyColumns.includes(c.name),
    )?.name;
    if (!period || table.rows.length === 0) continue;
    const dims = table.keyColumns.filter((c) => c !== period && textColumn(table, c));
    const counts = table.columns
      .filter((c) => /int/.test(c.type) && !table.keyColumns.includes(c.name))
      .map((c) => c.name);
    if (dims.length < 2 || counts.length === 0) continue;
    const valuesOf = (c: string) =>
      new Set(table.rows.map((r) => text(r, c)).filter((v) => v !== ''));
    const region = dims.find((c) => [...valuesOf(c)].filter((v) => regions.has(v)).length >= 5);
    const channel = dims.find((c) => valuesOf(c).has('phone'));
    const carriers = dims.flatMap((c) => {
      const values = [...valuesOf(c)];
      const a = vocab.findIndex(
        (v) =>
          values.length >= 2 &&
          values.every((x) => v.has(x)) &&
          values.filter((x) => v.has(x)).length >= 2,
      );
      return a >= 0 && c !== region && c !== channel ? [{ column: c, attribute: a }] : [];
    });
    const monthly = table.rows.every((r) => text(r, period).endsWith('-01'));
    const contextOf = (ms: number, region?: string) => {
      const day = dayOf(ms);
      return `${monthly ? `${day.slice(0, 7)}-01` : day}|${region ?? ''}`;
    };
    for (const count of counts) {
      const scores: AttributeScore[] = ATTRIBUTES.map((a) => emptyScore(a.name));
      for (const { column, attribute } of carriers) {
        const context = [region, channel].filter((c): c is string => !!c);
        // The cells that break the attribute down by the context alone (nothing else specified).
        const cells = table.rows.filter(
          (r) =>
            text(r, column) !== '' &&
            dims.every((d) => d === column || context.includes(d) || text(r, d) === '') &&
            (!channel || text(r, channel) === 'phone' || text(r, channel) === ''),
        );
        const signatures = [
          ...(region ? [{ region: true, channel: false }] : []),
          ...(channel ? [{ region: false, channel: true }] : []),
          ...(region && channel ? [{ region: true, channel: true }] : []),
          { region: false, channel: false },
        ];
        for (const sig of signatures) {
          const withRegion = sig.region;
          const byContext = new Map<string, Map<string, number>>();
          for (const cell of cells) {
            if (region && sig.region !== (text(cell, region) !== '')) continue;
            if (channel && sig.channel !== (text(cell, channel) !== '')) continue;
            const key = `${text(cell, period)}|${withRegion ? text(cell, region!) : ''}`;
            const values = byContext.get(key) ?? new Map<string, number>();
            values.set(
              text(cell, column),
              (values.get(text(cell, column)) ?? 0) + Number(cell[count]),
            );
            byContext.set(key, values);
          }
          const recordsIn = new Map<string, number>();
          const keyOf = (r: TelephoneRecord) =>
            contextOf(r.start.getTime(), withRegion ? r.phoneRegion : undefined);
          for (const r of records) recordsIn.set(keyOf(r), (recordsIn.get(keyOf(r)) ?? 0) + 1);
          for (const r of records) {
            if (!r.call) continue;
            const values = byContext.get(keyOf(r));
            if (!values) continue;
            const m = [...values.values()].reduce((a, b) => a + b, 0);
            const share = Math.min(1, m / recordsIn.get(keyOf(r))!);
            let best: { value: string; gain: number } | undefined;
            for (const [value, n] of values) {
              const prior = ev.list[ev.index.get(`${attribute}\u001f${value}`) ?? -1]?.prior ?? 0;
              const gain = share * (n / m - prior);
              if (!best || gain > best.gain) best = { value, gain };
            }
            if (!best) continue;
            const event = ev.index.get(`${attribute}\u001f${best.value}`);
            const prior = event === undefined ? 0 : ev.list[event].prior;
            const truth = ev.truth.get(r.call.index) ?? [];
            noteClaim(
              scores[attribute],
              r.index,
              best.gain,
              prior + best.gain,
              event !== undefined && truth.includes(event),
            );
          }
        }
      }
      results.push({ table: table.name, count, scores });
    }
  }
  return results;
}

function textColumn(table: SeizedTable, column: string): boolean {
  return /text|char/.test(table.columns.find((c) => c.name === column)?.type ?? '');
}

/** A cell's value as text; '' where the rollup does not break down by that column. */
function text(row: Record<string, unknown>, column: string): string {
  const value = row[column];
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value as number | boolean);
}
