import { Events } from './attributes';
import { candidatesUnder, Entity, JoinRule, learnRules, RecordView } from './join';
import { Observation } from './observations';
import { Call } from './population';
import { AttributeScore, Readout, scoreRule } from './scoring';
import { TelephoneRecord } from './telephone-records';

/**
 * Anonymous timed events. A row (or log line, or Redis value) that names no id of its own
 * but has an exact time and a plaintext category says "something of this kind happened at
 * T": an audit row `action=emergency.page` at 14:03:07 says an emergency was paged then, an
 * outbox row of queue `legal` that a legal case was opened. Joined by time to the telephone
 * record just before T, the category says what the call was about, whatever id the row
 * lacks.
 *
 * Each plaintext value of each such source (`audit_entries.action=emergency.page`), with
 * enough rows, is an event set of its own: its rows are one-row entities whose only feature
 * is that value, so the join rules are learnt for the value alone (the offset from the call
 * to an emergency page is not the offset to a login). What the value says about each
 * attribute is learnt from the population, as for entities (scoring.ts `readout`): an event's
 * call is, as the attacker with an earlier seizure's answers would take it, the true call
 * whose start or end, moved by the rule's learnt offset, is nearest the event within the
 * rule's window. Claims are scored and calibrated as entity claims are (`scoreRule`).
 * Nothing is looked up by table or column name.
 */
export interface TimedEventJoin {
  via: string;
  /** Records of logged calls with any candidate event under the rule. */
  matched: number;
  scores: AttributeScore[];
}

/** Fewer rows than this carrying a value and it is not tried (as readout's support). */
const MIN_EVENTS = 30;
/**
 * Rare timed events are learnt on more records than entities are, with a smaller floor over
 * chance (join.ts learnRules): fifty emergency pages can never pile up twenty deep.
 */
const LEARN = { sample: 20_000, floor: 5 };
/** As readout's shrinking of a value seen on few calls towards the population's frequency. */
const SHRINK = 20;

export function timedEventJoins(
  observations: Observation[],
  views: RecordView[],
  records: TelephoneRecord[],
  calls: readonly Call[],
  ev: Events,
  dayNumber: (ms: number) => number,
  log: (line: string) => void,
): { joins: TimedEventJoin[]; sets: number; rules: number } {
  const sets = eventSets(observations);
  const truth = {
    start: sortedCalls(calls, (c) => c.startedAt.getTime()),
    end: sortedCalls(calls, (c) => c.startedAt.getTime() + c.durationSeconds * 1000),
  };
  const joins: TimedEventJoin[] = [];
  let rules = 0;
  const started = Date.now();
  // The windows are learnt per value, and shared by every value of the same source: a
  // value too rare to pile up in a window of its own (fifty emergency pages) is tried in the
  // windows its source's commoner values showed, as an attacker would.
  const learnt = sets.map(({ name, rows }) => {
    const entities = rows.map((o) => eventEntity(o, name));
    return { name, source: rows[0].source, entities, rules: learnRules(entities, views, LEARN) };
  });
  const pools = new Map<string, Map<string, JoinRule>>();
  for (const { source, rules: own } of learnt) {
    const pool = pools.get(source) ?? new Map<string, JoinRule>();
    for (const rule of own) if (rule.match.kind === 'window') pool.set(rule.name, rule);
    pools.set(source, pool);
  }
  for (const { name, source, entities } of learnt) {
    const paths = new Set(entities.flatMap((e) => [...e.times.keys()]));
    for (const rule of pools.get(source)!.values()) {
      if (rule.match.kind !== 'window' || !paths.has(rule.path)) continue;
      rules++;
      const { offset, tolerance } = rule.match;
      const reference = truth[rule.reference];
      const owner = new Map<Entity, Call | undefined>();
      for (const e of entities) {
        const at = e.times.get(rule.path)?.values;
        owner.set(e, at ? nearest(reference, at, offset, tolerance) : undefined);
      }
      const read = eventReadout(entities, (e) => owner.get(e), ev);
      const candidates = candidatesUnder(rule, entities, views, dayNumber);
      const scores = scoreRule(candidates, entities, read, ev, records);
      const matched = records.filter((r) => r.call && candidates.has(r.index)).length;
      joins.push({ via: `event ${name}: ${rule.name}`, matched, scores });
    }
  }
  log(
    `timed events: ${sets.length} event sets, ${rules} join rules; ${(Date.now() - started) / 1000} s`,
  );
  log(`  sets: ${sets.map((s) => `${s.name} (${s.rows.length})`).join(', ')}`);
  return { joins, sets: sets.length, rules };
}

/**
 * The sources' rows without an id of their own, with an exact time and plaintext, grouped by
 * each plaintext value ("audit_entries.action=emergency.page") that MIN_EVENTS rows or more
 * carry. A value every row of its source carries stands for the source as a whole.
 */
function eventSets(observations: Observation[]): Array<{ name: string; rows: Observation[] }> {
  const bySource = new Map<string, Map<string, Observation[]>>();
  const sizes = new Map<string, number>();
  const rank = new Map<Observation, number>();
  for (const o of observations) {
    if (o.id || o.categories.size === 0) continue;
    if (![...o.times.values()].some((t) => t.granularity === 'exact')) continue;
    rank.set(o, rank.size);
    sizes.set(o.source, (sizes.get(o.source) ?? 0) + 1);
    const values = bySource.get(o.source) ?? new Map<string, Observation[]>();
    bySource.set(o.source, values);
    for (const [column, list] of o.categories)
      for (const v of new Set(list)) {
        const key = `${column}=${v}`;
        const rows = values.get(key);
        if (rows) rows.push(o);
        else values.set(key, [o]);
      }
  }
  const sets: Array<{ name: string; rows: Observation[] }> = [];
  for (const [source, values] of bySource) {
    // Values carried by exactly the same rows (an action only the pager writes, and the
    // empty actor only it leaves) are one event set, named by all of them.
    const same = new Map<string, { values: string[]; rows: Observation[] }>();
    for (const [value, rows] of values) {
      if (rows.length < MIN_EVENTS) continue;
      const key = rows.length === sizes.get(source) ? 'every row' : signature(rows, rank);
      const set = same.get(key);
      if (set && sameRows(set.rows, rows)) set.values.push(value);
      else if (!set) same.set(key, { values: [value], rows });
      else sets.push({ name: `${source}.${value}`, rows });
    }
    for (const [key, { values: names, rows }] of same)
      sets.push({
        name:
          key === 'every row'
            ? `${source} (every row)`
            : `${source}.${names.slice(0, 4).join(' = ')}${names.length > 4 ? ' = …' : ''}`,
        rows,
      });
  }
  return sets;
}

function signature(rows: Observation[], rank: Map<Observation, number>): string {
  let sum = 0;
  let mix = 0;
  for (const o of rows) {
    const n = rank.get(o)!;
    sum += n;
    mix = (mix * 31 + n) | 0;
  }
  return `${rows.length}:${sum}:${mix}`;
}

function sameRows(a: Observation[], b: Observation[]): boolean {
  return a.length === b.length && a.every((o, i) => o === b[i]);
}

function eventEntity(o: Observation, name: string): Entity {
  const times: Entity['times'] = new Map();
  for (const [column, t] of o.times)
    if (t.granularity === 'exact') times.set(`${o.source}.${column}`, t);
  return {
    anchor: o,
    ids: new Set(),
    times,
    features: new Set([name]),
    own: new Map(),
    links: [],
    texts: [],
  };
}

/**
 * What one event value says about each attribute value: the share of the events' calls that
 * had it, shrunk towards the population's frequency as readout (scoring.ts) does, kept only
 * where chance would give that share less than once in three million (a Chernoff bound, as
 * strict as five standard deviations and sound for rare values). An event set has one value
 * and, for a rare one, few calls: without the test, the noise of forty calls would be read
 * as a correlation (and claimed, uncalibrated, since so few claims make no calibration band).
 */
function eventReadout(
  entities: Entity[],
  callOf: (e: Entity) => Call | undefined,
  ev: Events,
): Readout {
  const hits = new Float64Array(ev.list.length);
  let total = 0;
  for (const e of entities) {
    const call = callOf(e);
    if (!call) continue;
    total++;
    for (const t of ev.truth.get(call.index)!) hits[t]++;
  }
  const sparse: Array<[number, number]> = [];
  if (total >= MIN_EVENTS)
    ev.list.forEach(({ prior }, i) => {
      const raw = hits[i] / total;
      // Chernoff: the chance of a share this far from the prior is at most e^(−n·KL), which
      // must be under e^−15 (about five standard deviations, and sound for rare values too).
      if (total * divergence(raw, prior) < 15) return;
      const pure = raw >= 0.98 || raw <= 0.02;
      const dev = (pure ? raw : (hits[i] + SHRINK * prior) / (total + SHRINK)) - prior;
      if (Math.abs(dev) >= 0.005) sparse.push([i, dev]);
    });
  return { deviations: entities.map(() => sparse) };
}

/** Kullback–Leibler divergence of Bernoulli(q) from Bernoulli(p). */
function divergence(q: number, p: number): number {
  const term = (a: number, b: number) => (a === 0 ? 0 : a * Math.log(a / b));
  return term(q, p) + term(1 - q, 1 - p);
}

interface SortedCalls {
  at: number[];
  calls: Call[];
}

function sortedCalls(calls: readonly Call[], at: (c: Call) => number): SortedCalls {
  const sorted = [...calls].sort((a, b) => at(a) - at(b));
  return { at: sorted.map(at), calls: sorted };
}

/** The call whose time plus `offset` is nearest any of the event's times, within `tolerance`. */
function nearest(
  reference: SortedCalls,
  times: number[],
  offset: number,
  tolerance: number,
): Call | undefined {
  let best: { distance: number; call: Call } | undefined;
  for (const t of times) {
    const target = t - offset;
    let lo = 0;
    let hi = reference.at.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (reference.at[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    for (const i of [lo - 1, lo]) {
      if (i < 0 || i >= reference.at.length) continue;
      const distance = Math.abs(reference.at[i] - target);
      if (distance <= tolerance && (!best || distance < best.distance))
        best = { distance, call: reference.calls[i] };
    }
  }
  return best?.call;
}
