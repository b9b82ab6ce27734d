import { SeizedDocument, Seizure, SeizedTable } from './seizure';

/**
 * The attacker's first pass: every table row, log line, Redis value and WAL fragment becomes
 * an Observation, its values sorted by what they can do in a join, whatever the columns are
 * called: times (to the millisecond, or coarse), ids (uuids, wherever they appear: a uuid
 * column, a text column, an array, inside JSON), short byte strings (hashes and other
 * pseudonymous keys, which link rows by equality), and plaintext categories (text, numbers,
 * booleans, array elements). Long byte strings are ciphertext and are left alone.
 */
export interface Observation {
  source: string;
  /** The row's own id (its single-column uuid primary key), if any. */
  id?: string;
  times: Map<string, { values: number[]; granularity: Granularity }>;
  ids: Map<string, string[]>;
  keys: Map<string, string>;
  categories: Map<string, string[]>;
  /** Long free text, kept whole (a summary left in the clear would be here). */
  texts: string[];
}

export type Granularity = 'exact' | 'minute' | 'hour' | 'day' | 'week';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const HAS_UUID = new RegExp(UUID.source, 'i');
const WHOLE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Bytes up to this long are keys (hashes, ids); longer ones are ciphertext. */
const KEY_BYTES = 64;

export async function observe(
  seizure: Seizure,
  /** Real times of the compressed run, as the server's clock read them (see ClockWarp). */
  clock: (ms: number) => number,
  period: { from: Date; until: Date },
  /** The zone whose midnights the schema writes for days (STATS_TIMEZONE, in the source). */
  timeZone = 'Europe/Moscow',
): Promise<Observation[]> {
  const observations: Observation[] = [];
  const isMidnight = midnightIn(timeZone);
  // Pushed one by one: spreading a table of 100,000 rows would overflow the stack. A row
  // with no id of its own and none of another's joins only by its time, as a timed event
  // (timed-events.ts): one with neither a time nor plaintext joins nothing (rollups are
  // read apart).
  for (const table of seizure.tables)
    for (const o of observeTable(table, isMidnight))
      if (o.id || o.ids.size > 0 || isTimedEvent(o)) observations.push(o);
  const known = new Set(observations.flatMap((o) => (o.id ? [o.id] : [])));
  const wal = new WalScanner(known, clock, period);
  for (const doc of seizure.documents) {
    if (doc.source === 'wal') wal.scan((await doc.content()) as Buffer);
    else
      for (const o of observeDocument(doc.source, await doc.content(), clock, period))
        observations.push(o);
  }
  for (const o of wal.observations()) observations.push(o);
  // A column is as coarse as its finest value: judged over all its rows, not row by row.
  const fine = new Set<string>();
  for (const o of observations)
    for (const [column, t] of o.times)
      if (t.granularity !== 'day') fine.add(`${o.source}.${column}:${granularityOf(t.values)}`);
  for (const o of observations)
    for (const [column, t] of o.times) {
      if (t.granularity === 'day') continue;
      const order: Granularity[] = ['exact', 'minute', 'hour', 'day'];
      t.granularity = order.find((g) => fine.has(`${o.source}.${column}:${g}`)) ?? 'exact';
    }
  // A column of days that are all Mondays holds weeks, as the attacker reading the schema (or
  // its values: a fortnight of them, never another weekday) knows; it joins by the week.
  const isMonday = mondayIn(timeZone);
  const notWeeks = new Set<string>();
  const weeksSeen = new Map<string, Set<number>>();
  for (const o of observations)
    for (const [column, t] of o.times) {
      if (t.granularity !== 'day') continue;
      const key = `${o.source}.${column}`;
      if (t.values.some((v) => !isMonday(v))) notWeeks.add(key);
      const seen = weeksSeen.get(key) ?? new Set<number>();
      for (const v of t.values) seen.add(v);
      weeksSeen.set(key, seen);
    }
  for (const o of observations)
    for (const [column, t] of o.times) {
      const key = `${o.source}.${column}`;
      if (t.granularity === 'day' && !notWeeks.has(key) && (weeksSeen.get(key)?.size ?? 0) >= 2)
        t.granularity = 'week';
    }
  return observations;
}

function observeTable(table: SeizedTable, isMidnight: (ms: number) => boolean): Observation[] {
  return table.rows.map((row) => {
    const o = empty(table.name);
    const pk = table.primaryKey ? row[table.primaryKey] : undefined;
    if (typeof pk === 'string' && WHOLE_UUID.test(pk)) o.id = pk.toLowerCase();
    for (const { name } of table.columns) {
      if (name === table.primaryKey && o.id) continue;
      addValue(o, name, row[name], isMidnight);
    }
    return o;
  });
}

function addValue(
  o: Observation,
  column: string,
  value: unknown,
  isMidnight: (ms: number) => boolean,
): void {
  if (value === null || value === undefined) {
    push(o.categories, column, '∅');
  } else if (value instanceof Date) {
    // A midnight of the zone the schema keeps days in is a day, whatever else the column holds
    // (an audit entry about a caller keeps its day, one about a staff account its second).
    const ms = value.getTime();
    pushTime(o, column, ms, isMidnight(ms) ? 'day' : 'exact');
  } else if (Buffer.isBuffer(value)) {
    if (value.length <= KEY_BYTES) o.keys.set(column, value.toString('hex'));
  } else if (Array.isArray(value)) {
    if (value.length === 0) push(o.categories, column, '∅');
    for (const element of value) {
      if (typeof element === 'string' && WHOLE_UUID.test(element))
        push(o.ids, column, element.toLowerCase());
      else if (element instanceof Date) pushTime(o, column, element.getTime(), 'exact');
      else push(o.categories, `${column}[]`, String(element));
    }
  } else if (typeof value === 'object') {
    for (const id of JSON.stringify(value).match(UUID) ?? []) push(o.ids, column, id.toLowerCase());
  } else if (typeof value === 'string') {
    if (DAY.test(value)) pushTime(o, column, Date.parse(`${value}T00:00:00Z`), 'day');
    else if (WHOLE_UUID.test(value)) push(o.ids, column, value.toLowerCase());
    else {
      const ids = value.match(UUID);
      if (ids) for (const id of ids) push(o.ids, column, id.toLowerCase());
      else if (value.length > 60) o.texts.push(value);
      else push(o.categories, column, value);
    }
  } else {
    push(o.categories, column, String(value as number | boolean | bigint));
  }
}

function observeDocument(
  source: SeizedDocument['source'],
  content: string | Buffer,
  clock: (ms: number) => number,
  period: { from: Date; until: Date },
): Observation[] {
  const text = content.toString();
  const lines = source === 'redis' ? [text] : text.split('\n');
  const found: Observation[] = [];
  for (const line of lines) {
    const o = empty(source);
    for (const id of line.match(UUID) ?? []) push(o.ids, 'mentions', id.toLowerCase());
    for (const ms of timesIn(line)) {
      const t = clock(ms);
      if (t >= period.from.getTime() - 86_400_000 && t <= period.until.getTime() + 86_400_000)
        pushTime(o, 'time', t, 'exact');
    }
    if (o.times.size === 0) continue;
    jsonCategories(o, line);
    if (o.ids.size > 0 || o.categories.size > 0) found.push(o);
  }
  return found;
}

/** Something with a time and plaintext beside it, even with no id: a timed event. */
function isTimedEvent(o: Observation): boolean {
  return o.times.size > 0 && o.categories.size > 0;
}

/**
 * A JSON log line or value: its short scalar leaves ("msg", "queue", "action", "level") are
 * plaintext categories, by their path in the document. Times, ids and long text are not.
 */
function jsonCategories(o: Observation, text: string): void {
  const start = text.indexOf('{');
  if (start < 0) return;
  let doc: unknown;
  try {
    doc = JSON.parse(text.slice(start));
  } catch {
    return;
  }
  const walk = (value: unknown, path: string, depth: number): void => {
    if (value === null || depth > 4) return;
    if (typeof value === 'object') {
      if (Array.isArray(value)) value.forEach((v) => walk(v, `${path}[]`, depth + 1));
      else
        for (const [k, v] of Object.entries(value as Record<string, unknown>))
          walk(v, path ? `${path}.${k}` : k, depth + 1);
      return;
    }
    const s = String(value as string | number | boolean);
    if (s.length > 60 || HAS_UUID.test(s) || timesIn(s).length > 0) return;
    push(o.categories, path, s);
  };
  walk(doc, '', 0);
}

/** ISO 8601 times, PostgreSQL's "2026-01-02 03:04:05.678 UTC", and epoch milliseconds. */
function timesIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(
    /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z| ?UTC|[+-]\d{2}(:?\d{2})?)?/g,
  )) {
    const ms = Date.parse(m[0].replace(' UTC', 'Z').replace(' ', 'T'));
    if (!Number.isNaN(ms)) out.push(ms);
  }
  for (const m of text.matchAll(/(?<![\d.])1[6-9]\d{11}(?![\d.])/g)) out.push(Number(m[0]));
  return out;
}

/** PostgreSQL's epoch (2000-01-01) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;

/**
 * The WAL holds every row version ever written, including those later updated or deleted.
 * Without parsing it, the attacker finds every 8-byte timestamp of the period and every
 * known 16-byte uuid, and pairs those that sit within one tuple's reach of each other. One
 * observation per uuid, over all segments, with the distinct times found beside it; a uuid
 * beside more than MAX_WAL_TIMES times is a hub (a volunteer's id) and tells nothing.
 */
class WalScanner {
  private readonly found = new Map<string, Set<number>>();
  private readonly prefixes = new Uint8Array(1 << 21);
  private readonly lo: number;
  private readonly hi: number;

  constructor(
    private readonly known: Set<string>,
    private readonly clock: (ms: number) => number,
    period: { from: Date; until: Date },
  ) {
    this.lo = (period.from.getTime() - 86_400_000 - PG_EPOCH_MS) * 1000;
    // The run itself happened after the period: its real times are in the WAL too.
    this.hi = (Date.now() + 86_400_000 - PG_EPOCH_MS) * 1000;
    for (const id of known) {
      const p = parseInt(id.slice(0, 6), 16);
      this.prefixes[p >> 3] |= 1 << (p & 7);
    }
  }

  scan(bytes: Buffer): void {
    const [loHigh, hiHigh] = [Math.floor(this.lo / 2 ** 32), Math.floor(this.hi / 2 ** 32)];
    const times: Array<{ at: number; ms: number }> = [];
    const uuids: Array<{ at: number; id: string }> = [];
    for (let i = 0; i + 16 <= bytes.length; i++) {
      const high = bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24);
      if (high >= loHigh && high <= hiHigh) {
        const micros = high * 2 ** 32 + bytes.readUInt32LE(i);
        if (micros >= this.lo && micros <= this.hi)
          times.push({ at: i, ms: this.clock(Math.floor(micros / 1000) + PG_EPOCH_MS) });
      }
      const p = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      if (this.prefixes[p >> 3] & (1 << (p & 7))) {
        const hex = bytes.toString('hex', i, i + 16);
        const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
        if (this.known.has(id)) uuids.push({ at: i, id });
      }
    }
    let j = 0;
    for (const u of uuids) {
      while (j < times.length && times[j].at < u.at - 96) j++;
      let set = this.found.get(u.id);
      if (!set) this.found.set(u.id, (set = new Set()));
      for (let k = j; k < times.length && times[k].at <= u.at + 96; k++)
        if (set.size <= MAX_WAL_TIMES) set.add(times[k].ms);
    }
  }

  observations(): Observation[] {
    const out: Observation[] = [];
    for (const [id, times] of this.found) {
      if (times.size === 0 || times.size > MAX_WAL_TIMES) continue;
      const o = empty('wal');
      push(o.ids, 'mentions', id);
      for (const t of times) pushTime(o, 'time', t, 'exact');
      out.push(o);
    }
    return out;
  }
}

const MAX_WAL_TIMES = 64;

/** Whether an instant is exactly midnight in `timeZone`. */
function midnightIn(timeZone: string): (ms: number) => boolean {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return (ms) => ms % 1000 === 0 && format.format(new Date(ms)) === '00:00:00';
}

/** Whether a day value (a midnight in `timeZone`, or a UTC midnight) is a Monday. */
function mondayIn(timeZone: string): (ms: number) => boolean {
  const weekday = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' });
  return (ms) =>
    ms % 86_400_000 === 0 ? new Date(ms).getUTCDay() === 1 : weekday.format(new Date(ms)) === 'Mon';
}

function granularityOf(values: number[]): Granularity {
  for (const [g, ms] of [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ] as const)
    if (values.length > 0 && values.every((v) => v % ms === 0)) return g;
  return 'exact';
}

function empty(source: string): Observation {
  return {
    source,
    times: new Map(),
    ids: new Map(),
    keys: new Map(),
    categories: new Map(),
    texts: [],
  };
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function pushTime(o: Observation, column: string, ms: number, granularity: Granularity): void {
  const t = o.times.get(column);
  if (t) t.values.push(ms);
  else o.times.set(column, { values: [ms], granularity });
}
