import { Granularity, Observation } from './observations';

/** A telephone record as the attacker holds it: no truth attached. */
export interface RecordView {
  index: number;
  phoneRegion: string;
  start: number;
  end: number;
  durationSeconds: number;
}

/**
 * An entity is one row of an anchor table (any table with a uuid primary key) together with
 * everything that refers to it by id: its children (rows, log lines, jobs, WAL fragments
 * naming its id), their children in turn, and the rows it names itself (its parents). The
 * attacker does not know which table holds the calls; every anchor is tried.
 */
export interface Entity {
  anchor: Observation;
  /** Every id of the entity: its own, its children's and grandchildren's. */
  ids: Set<string>;
  /** Times by path ("child:cases.created_at"), each with its granularity. */
  times: Map<string, { values: number[]; granularity: Granularity }>;
  /** Plaintext categories by path, as features ("self:contacts.region=RU-MOW"). */
  features: Set<string>;
  /** The anchor row's own plaintext, by path, for the narrowing filters. */
  own: Map<string, string>;
  /** Values that may link two entities, by path: the ids its rows name, parents' keys, own keys. */
  links: Array<[string, string]>;
  texts: string[];
}

/** More children than this and the row is a hub (a volunteer's account), not one call. */
const MAX_CHILDREN = 200;

/** Which observation has each id, and which observations mention it. */
export interface IdIndex {
  byId: Map<string, Observation>;
  mentions: Map<string, Observation[]>;
}

export function indexIds(observations: Observation[]): IdIndex {
  const byId = new Map<string, Observation>();
  const mentions = new Map<string, Observation[]>();
  for (const o of observations) {
    if (o.id) byId.set(o.id, o);
    for (const ids of o.ids.values())
      for (const id of new Set(ids)) {
        const list = mentions.get(id);
        if (list) list.push(o);
        else mentions.set(id, [o]);
      }
  }
  return { byId, mentions };
}

export function buildEntities(
  observations: Observation[],
  { byId, mentions }: IdIndex,
  anchorSource: string,
): Entity[] {
  const entities: Entity[] = [];
  for (const anchor of observations) {
    if (anchor.source !== anchorSource || !anchor.id) continue;
    const e: Entity = {
      anchor,
      ids: new Set([anchor.id]),
      times: new Map(),
      features: new Set(),
      own: new Map(),
      links: [],
      texts: [...anchor.texts],
    };
    add(e, 'self', anchor);
    for (const [column, values] of anchor.categories)
      e.own.set(`self:${anchor.source}.${column}`, values[0]);
    for (const [column, values] of anchor.ids)
      for (const id of values) {
        const parent = byId.get(id);
        e.links.push([`self:${anchor.source}.${column}`, id]);
        if (parent && parent !== anchor) {
          addFeatures(e, `parent:${parent.source}`, parent);
          for (const [k, v] of parent.keys) e.links.push([`parent:${parent.source}.${k}`, v]);
        }
      }
    for (const [k, v] of anchor.keys) e.links.push([`self:${anchor.source}.${k}`, v]);
    const children = (mentions.get(anchor.id) ?? []).filter((c) => c !== anchor);
    if (children.length <= MAX_CHILDREN)
      for (const child of children) {
        add(e, `child:${child.source}`, child);
        // The other ids a child names (a receipt's caller id, a case's caller) link too.
        for (const [column, values] of child.ids)
          for (const id of values)
            if (id !== anchor.id) e.links.push([`child:${child.source}.${column}`, id]);
        if (child.id) e.ids.add(child.id);
        const grandchildren = child.id ? (mentions.get(child.id) ?? []) : [];
        if (grandchildren.length <= MAX_CHILDREN)
          for (const g of grandchildren)
            if (g !== anchor && g !== child) {
              add(e, `grandchild:${g.source}`, g);
              if (g.id) e.ids.add(g.id);
            }
      }
    entities.push(e);
  }
  return entities;
}

function add(e: Entity, path: string, o: Observation): void {
  for (const [column, t] of o.times) {
    const key = `${path}.${column}`;
    const existing = e.times.get(key);
    if (existing) existing.values.push(...t.values);
    else e.times.set(key, { values: [...t.values], granularity: t.granularity });
  }
  addFeatures(e, path, o);
  if (path !== 'self') e.texts.push(...o.texts);
}

function addFeatures(e: Entity, path: string, o: Observation): void {
  for (const [column, values] of o.categories)
    for (const v of values) e.features.add(`${path}.${column}=${v}`);
}

/**
 * One way of joining telephone records to entities: a time path of the entities compared with
 * the call's start or end, to within a tolerance around a learned offset or by the same
 * minute, hour or day, optionally narrowed by the entity's own duration, region and channel
 * columns (found by what their values look like, not by name).
 */
export interface JoinRule {
  name: string;
  path: string;
  reference: 'start' | 'end';
  /** Exact: |value − (reference + offset)| ≤ tolerance. Bucket: the same bucket. */
  match:
    { kind: 'window'; offset: number; tolerance: number } | { kind: 'bucket'; size: Granularity };
  filters: Filter[];
}

export interface Filter {
  path: string;
  kind: 'duration' | 'region' | 'channel';
}

/** The candidates of one record under a rule, each with the probability that it is the call. */
export type Candidates = Map<number, Array<{ entity: number; weight: number }>>;

const WINDOWS_MS = [5_000, 60_000, 600_000];
const SEARCH_MS = 3_600_000;

/**
 * Learns which time paths line up with the calls, and how: for each path, the offsets from
 * each record to every value within an hour; a path whose offsets pile up in a window far
 * above what chance gives is a join key, at that offset and tolerance. Coarse paths (a day column)
 * join by bucket.
 */
export function learnRules(
  entities: Entity[],
  records: RecordView[],
  /**
   * Records sampled (every n-th, to at most this many) and the excess over chance a window
   * needs on top of five standard deviations. Rare timed events (timed-events.ts) are tried
   * on more records and with a smaller floor: 50 emergency pages can never pile up 20 deep.
   */
  { sample: sampleSize = 6000, floor = 20 }: { sample?: number; floor?: number } = {},
): JoinRule[] {
  const paths = new Map<string, Granularity>();
  for (const e of entities) for (const [p, t] of e.times) paths.set(p, t.granularity);
  const filters = findFilters(entities, records);
  const rules: JoinRule[] = [];
  const stride = Math.max(1, Math.floor(records.length / sampleSize));
  const sample = records.filter((_, i) => i % stride === 0);
  for (const [path, granularity] of paths) {
    const sorted = sortedValues(entities, path);
    if (sorted.values.length < 50) continue;
    const base: Array<Omit<JoinRule, 'filters' | 'name'>> = [];
    if (granularity === 'exact') {
      for (const reference of ['start', 'end'] as const) {
        const offsets = nearestOffsets(sorted.values, sample, reference);
        // Every window that stands out: a tight one is sharp where the offset is fixed (the
        // start), a wide one catches an offset that varies (the minutes a volunteer takes).
        for (const tolerance of WINDOWS_MS) {
          const { offset, count } = densestWindow(offsets, tolerance);
          // Far above chance: five standard deviations of a Poisson count, and more than 20.
          const chance = (offsets.length * 2 * tolerance) / (2 * SEARCH_MS);
          if (count > chance + 5 * Math.sqrt(chance) + floor)
            base.push({ path, reference, match: { kind: 'window', offset, tolerance } });
        }
      }
    } else {
      base.push({ path, reference: 'start', match: { kind: 'bucket', size: granularity } });
      if (granularity !== 'day' && granularity !== 'week')
        base.push({ path, reference: 'end', match: { kind: 'bucket', size: granularity } });
    }
    for (const b of base) {
      const label = `${b.path} ${b.reference} ${
        b.match.kind === 'window'
          ? `±${b.match.tolerance / 1000}s@${Math.round(b.match.offset / 1000)}s`
          : `same ${b.match.size}`
      }`;
      rules.push({ ...b, name: label, filters: [] });
      if (filters.length > 0)
        rules.push({ ...b, name: `${label} + ${filters.map((f) => f.kind).join('+')}`, filters });
    }
  }
  return rules;
}

/**
 * Narrowing columns on the anchor row itself, by their values: a duration (integers of a
 * call's length, many distinct), a region (the records' registration regions) and a channel
 * (a column where "phone" is common).
 */
function findFilters(entities: Entity[], records: RecordView[]): Filter[] {
  const regions = new Set(records.map((r) => r.phoneRegion));
  const columns = new Map<string, Map<string, number>>();
  for (const e of entities)
    for (const f of e.features) {
      if (!f.startsWith('self:')) continue;
      const at = f.indexOf('=');
      const path = f.slice(0, at);
      const counts = columns.get(path) ?? new Map<string, number>();
      counts.set(f.slice(at + 1), (counts.get(f.slice(at + 1)) ?? 0) + 1);
      columns.set(path, counts);
    }
  const filters: Filter[] = [];
  for (const [path, counts] of columns) {
    const values = [...counts.keys()];
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (values.length >= 100 && values.every((v) => /^\d+$/.test(v) && Number(v) <= 86_400))
      filters.push({ path, kind: 'duration' });
    else if (values.length >= 5 && values.filter((v) => regions.has(v)).length >= values.length / 2)
      filters.push({ path, kind: 'region' });
    else if ((counts.get('phone') ?? 0) >= total * 0.1) filters.push({ path, kind: 'channel' });
  }
  return filters;
}

function sortedValues(entities: Entity[], path: string): { values: number[]; owners: number[] } {
  const pairs: Array<[number, number]> = [];
  entities.forEach((e, i) => {
    for (const v of e.times.get(path)?.values ?? []) pairs.push([v, i]);
  });
  pairs.sort((a, b) => a[0] - b[0]);
  return { values: pairs.map((p) => p[0]), owners: pairs.map((p) => p[1]) };
}

function lowerBound(values: number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function nearestOffsets(
  values: number[],
  records: RecordView[],
  reference: 'start' | 'end',
): number[] {
  const offsets: number[] = [];
  for (const r of records) {
    const at = r[reference];
    const i = lowerBound(values, at - SEARCH_MS);
    for (let j = i; j < values.length && values[j] <= at + SEARCH_MS; j++)
      offsets.push(values[j] - at);
  }
  return offsets.sort((a, b) => a - b);
}

function densestWindow(sorted: number[], tolerance: number): { offset: number; count: number } {
  let best = { offset: 0, count: 0 };
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] > 2 * tolerance) j++;
    if (i - j + 1 > best.count) best = { offset: (sorted[i] + sorted[j]) / 2, count: i - j + 1 };
  }
  return best;
}

/**
 * The candidates of every record under a rule, and their weights. A record with k
 * candidates, each of which is itself a candidate of m records, is each of them with
 * probability 1 / max(k, m): a bucket of m records and k logged calls pairs them up at
 * random, as far as the attacker can tell. What is left is the chance that the record is
 * none of them (a call nobody logged).
 */
export function candidatesUnder(
  rule: JoinRule,
  entities: Entity[],
  records: RecordView[],
  dayOf: (ms: number) => number,
): Candidates {
  const sorted = sortedValues(entities, rule.path);
  const found = new Map<number, number[]>();
  const bucketOf = (ms: number, size: Granularity) =>
    size === 'day'
      ? dayOf(ms)
      : size === 'week'
        ? // Day numbers count from Thursday 1970-01-01: weeks from Monday.
          Math.floor((dayOf(ms) + 3) / 7)
        : Math.floor(ms / (size === 'hour' ? 3_600_000 : size === 'minute' ? 60_000 : 1));
  let buckets: Map<number, number[]> | undefined;
  if (rule.match.kind === 'bucket') {
    buckets = new Map();
    for (let i = 0; i < sorted.values.length; i++) {
      const b = bucketOf(sorted.values[i], rule.match.size);
      const list = buckets.get(b) ?? [];
      list.push(sorted.owners[i]);
      buckets.set(b, list);
    }
  }
  // A bucket's records share one candidate list where the filters see the same of them (a
  // week's bucket holds a thousand entities: one list per record would not fit in memory).
  const byRegion = rule.filters.some((f) => f.kind === 'region');
  const byDuration = rule.filters.some((f) => f.kind === 'duration');
  const shared = new Map<string, number[]>();
  for (const r of records) {
    const at = r[rule.reference];
    const owners: number[] = [];
    if (rule.match.kind === 'bucket') {
      const b = bucketOf(at, rule.match.size);
      const key = `${b}|${byRegion ? r.phoneRegion : ''}|${byDuration ? r.durationSeconds : ''}`;
      let kept = shared.get(key);
      if (!kept) {
        kept = [...new Set(buckets!.get(b) ?? [])].filter((i) =>
          passes(entities[i], r, rule.filters),
        );
        shared.set(key, kept);
      }
      if (kept.length > 0) found.set(r.index, kept);
      continue;
    }
    const from = at + rule.match.offset - rule.match.tolerance;
    const to = at + rule.match.offset + rule.match.tolerance;
    for (
      let j = lowerBound(sorted.values, from);
      j < sorted.values.length && sorted.values[j] <= to;
      j++
    )
      owners.push(sorted.owners[j]);
    const kept = [...new Set(owners)].filter((i) => passes(entities[i], r, rule.filters));
    if (kept.length > 0) found.set(r.index, kept);
  }
  const recordsPerEntity = new Map<number, number>();
  for (const list of found.values())
    for (const i of list) recordsPerEntity.set(i, (recordsPerEntity.get(i) ?? 0) + 1);
  const candidates: Candidates = new Map();
  const weighed = new Map<number[], Array<{ entity: number; weight: number }>>();
  for (const [record, list] of found) {
    let weights = weighed.get(list);
    if (!weights) {
      weights = list.map((entity) => ({
        entity,
        weight: 1 / Math.max(list.length, recordsPerEntity.get(entity)!),
      }));
      weighed.set(list, weights);
    }
    candidates.set(record, weights);
  }
  return candidates;
}

function passes(e: Entity, r: RecordView, filters: Filter[]): boolean {
  for (const f of filters) {
    const value = e.own.get(f.path);
    if (f.kind === 'duration') {
      if (value === undefined || Math.abs(Number(value) - r.durationSeconds) > 5) return false;
    } else if (value !== (f.kind === 'region' ? r.phoneRegion : 'phone')) return false;
  }
  return true;
}
