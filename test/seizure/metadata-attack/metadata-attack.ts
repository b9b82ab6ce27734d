import { rm } from 'node:fs/promises';
import { createTestEnvironment, privateDir } from '@mayak/testing';
import { ATTRIBUTES, events } from './attributes';
import { afterThePeriod, HelplineRun, LoggedCall, runHelpline } from './helpline';
import { buildEntities, candidatesUnder, Entity, indexIds, learnRules, RecordView } from './join';
import { Observation, observe } from './observations';
import { Call, simulatePopulation } from './population';
import { rollupScores } from './rollups';
import { AttributeScore, emptyScore, LinkScore, readout, scoreLinks, scoreRule } from './scoring';
import { seize } from './seizure';
import { telephoneRecords } from './telephone-records';
import { timedEventJoins } from './timed-events';

/**
 * The metadata join of issue 11, end to end: a helpline's weeks of calls through the real
 * application, the state's telephone records of them, the seizure of the switched-off server,
 * and the attacker's best join of the two. See README.md beside this file for the method.
 */
export interface AttackOptions {
  calls: number;
  days: number;
  seed: number;
  settleWorker?: boolean;
  /**
   * Which WAL the seizure finds. 'deployment' (the default): what a server run as Mayak runs
   * PostgreSQL keeps two days after the period (LITTLE_WAL_ON_DISK: a segment switch every
   * five minutes, old segments removed at each checkpoint), which is the WAL written since the
   * last minutes' maintenance. 'all': every segment written during the run, as a PostgreSQL
   * left with its defaults may keep weeks of it (recycled segments keep their old records).
   */
  wal?: 'deployment' | 'all';
  log?: (line: string) => void;
}

export interface AttackReport {
  options: AttackOptions;
  telephoneRecords: { total: number; ofLoggedCalls: number };
  seconds: { seeding: number; attack: number };
  seized: { tables: number; rows: number; documents: Record<string, number>; missing: string[] };
  /** What the specialists and responders did during the period (see helpline.ts). */
  work: HelplineRun['work'];
  /** Per attribute: the join rule (or rollup) that attached it best, and its figures. */
  attributes: Array<AttributeScore & { via: string }>;
  /**
   * Per attribute: the best of the timed events alone (rows with a time and plaintext but no
   * id, joined by time; timed-events.ts), with the value (source.column=value) and rule.
   * Also counted in `attributes`.
   */
  timedEvents: Array<AttributeScore & { via: string; sharpest?: string }>;
  /** Timed event sets (one per source and plaintext value) tried. */
  timedEventSets: number;
  /** Telephone records of logged calls with any true attachment above 1/10. */
  recordsAttached: number;
  links: Array<LinkScore & { anchor: string }>;
  rulesTried: number;
  /** Every join rule and rollup, with the records of logged calls it attached anything to. */
  joins: Array<{
    via: string;
    matched: number;
    attached: number;
    /** Per attribute it attaches: "true/claimed above 0.10, best gain". */
    attributes: Record<string, string>;
  }>;
}

export async function runMetadataAttack(options: AttackOptions): Promise<AttackReport> {
  const log = options.log ?? (() => undefined);
  const until = new Date(Math.floor(Date.now() / 86_400_000 - 2) * 86_400_000);
  const period = { from: new Date(until.getTime() - options.days * 86_400_000), until };
  const calls = simulatePopulation({
    calls: options.calls,
    days: options.days,
    until,
    seed: options.seed,
  });
  const records = telephoneRecords(calls, period, options.seed);

  const env = await createTestEnvironment({ LOG_LEVEL: 'info' });
  const dir = await privateDir('seized');
  try {
    log(
      `seeding ${calls.length} calls over ${options.days} days through the real intake and worker`,
    );
    const runStarted = new Date(Date.now() - 1_000);
    const run = await runHelpline(env, calls, period, options.settleWorker);
    await run.warp.applyToDatabase();
    const maintenanceStarted = new Date(Date.now() - 1_000);
    await afterThePeriod(env);
    const walSince = options.wal === 'all' ? runStarted : maintenanceStarted;
    log(
      `seeded in ${run.seconds.toFixed(0)} s (${JSON.stringify(run.work)}); seizing (WAL: ${options.wal ?? 'deployment'})`,
    );
    const seizure = await seize({
      superuserUrl: env.superuserUrl,
      redisUrl: env.config.REDIS_URL!,
      redisPrefix: env.config.QUEUE_PREFIX,
      appLogs: run.appLogs,
      walSince,
      dir,
    });
    const attackStarted = Date.now();
    const observations = await observe(
      seizure,
      (ms) => run.warp.translate(ms),
      period,
      env.config.STATS_TIMEZONE,
    );
    log(
      `${observations.length} observations in ${((Date.now() - attackStarted) / 1000).toFixed(1)} s`,
    );
    const statsZone = env.config.STATS_TIMEZONE;
    const dayOf = calendarDay(statsZone);
    const report = attack(observations, seizure, calls, records, run.logged, dayOf, log);
    return {
      ...report,
      options,
      work: run.work,
      telephoneRecords: {
        total: records.length,
        ofLoggedCalls: records.filter((r) => r.call).length,
      },
      seconds: { seeding: run.seconds, attack: (Date.now() - attackStarted) / 1000 },
      seized: {
        tables: seizure.tables.length,
        rows: seizure.tables.reduce((n, t) => n + t.rows.length, 0),
        documents: seizure.documents.reduce<Record<string, number>>(
          (n, d) => ({ ...n, [d.source]: (n[d.source] ?? 0) + 1 }),
          {},
        ),
        missing: seizure.missing,
      },
    };
  } finally {
    await env.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

function attack(
  observations: Observation[],
  seizure: Awaited<ReturnType<typeof seize>>,
  calls: Call[],
  records: ReturnType<typeof telephoneRecords>,
  logged: LoggedCall[],
  dayOf: (ms: number) => string,
  log: (line: string) => void,
): Pick<
  AttackReport,
  | 'attributes'
  | 'timedEvents'
  | 'timedEventSets'
  | 'recordsAttached'
  | 'links'
  | 'rulesTried'
  | 'joins'
> {
  const ev = events(calls);
  const views: RecordView[] = records.map((r) => ({
    index: r.index,
    phoneRegion: r.phoneRegion,
    start: r.start.getTime(),
    end: r.start.getTime() + r.durationSeconds * 1000,
    durationSeconds: r.durationSeconds,
  }));
  const dayNumber = (ms: number) => Date.parse(`${dayOf(ms)}T00:00:00Z`) / 86_400_000;
  const callById = new Map<string, Call>();
  for (const { call, receipt } of logged)
    for (const id of [receipt.id, ...receipt.caseIds]) callById.set(id, call);
  const best = ATTRIBUTES.map(() => undefined as (AttributeScore & { via: string }) | undefined);
  const consider = (score: AttributeScore, via: string, a: number) => {
    const current = best[a];
    if (
      !current ||
      score.correct > current.correct ||
      (score.correct === current.correct && score.maxGain > current.maxGain)
    )
      best[a] = { ...score, via };
  };
  const links: AttackReport['links'] = [];
  const joins: AttackReport['joins'] = [];
  const noteJoin = (via: string, matched: number, scores: AttributeScore[]) => {
    const attachedHere = new Set<number>();
    for (const s of scores) for (const r of s.attached) attachedHere.add(r);
    const attributes: Record<string, string> = {};
    for (const s of scores)
      if (s.attachments > 0 || s.maxGain >= 0.05)
        attributes[s.attribute] = `${s.correct}/${s.attachments}, gain ${s.maxGain.toFixed(2)}`;
    joins.push({ via, matched, attached: attachedHere.size, attributes });
  };
  let rulesTried = 0;
  const index = indexIds(observations);
  const anchors = seizure.tables
    .filter((t) => t.primaryKey && t.rows.length >= 100)
    .map((t) => t.name);
  for (const anchor of anchors) {
    const t0 = Date.now();
    const entities = buildEntities(observations, index, anchor);
    const callOf = callResolver(callById);
    const read = readout(entities, callOf, ev);
    const rules = learnRules(entities, views);
    const t1 = Date.now();
    for (const rule of rules) {
      rulesTried++;
      const candidates = candidatesUnder(rule, entities, views, dayNumber);
      const scores = scoreRule(candidates, entities, read, ev, records);
      scores.forEach((s, a) => consider(s, `${anchor}: ${rule.name}`, a));
      const matched = records.filter((r) => r.call && candidates.has(r.index)).length;
      noteJoin(`${anchor}: ${rule.name}`, matched, scores);
    }
    for (const l of scoreLinks(entities, callOf)) links.push({ ...l, anchor });
    log(
      `anchor ${anchor}: ${entities.length} entities, ${rules.length} join rules; ${(t1 - t0) / 1000} s + ${(Date.now() - t1) / 1000} s`,
    );
  }
  for (const { table, count, scores } of rollupScores(seizure.tables, records, ev, dayOf)) {
    scores.forEach((s, a) => consider(s, `rollup ${table}.${count}`, a));
    noteJoin(`rollup ${table}.${count}`, 0, scores);
  }
  const timed = timedEventJoins(observations, views, records, calls, ev, dayNumber, log);
  const bestEvent = ATTRIBUTES.map(
    () => undefined as (AttributeScore & { via: string }) | undefined,
  );
  // The event value whose true claims reach the highest gain, beside the one with the most.
  const sharpest = ATTRIBUTES.map(
    () => undefined as (AttributeScore & { via: string }) | undefined,
  );
  for (const { via, matched, scores } of timed.joins) {
    rulesTried++;
    scores.forEach((s, a) => {
      consider(s, via, a);
      const current = bestEvent[a];
      if (s.correct === 0 && s.maxGain === 0) return;
      if (
        !current ||
        s.correct > current.correct ||
        (s.correct === current.correct && s.maxGain > current.maxGain)
      )
        bestEvent[a] = { ...s, via };
      if (s.correct > 0 && (!sharpest[a] || s.maxGain > sharpest[a]!.maxGain))
        sharpest[a] = { ...s, via };
    });
    noteJoin(via, matched, scores);
  }
  const attached = new Set<number>();
  for (const b of best) for (const r of b?.attached ?? []) attached.add(r);
  return {
    attributes: best.map((b, a) => b ?? { ...emptyScore(ATTRIBUTES[a].name), via: '—' }),
    timedEvents: bestEvent.map((b, a) => {
      const s = sharpest[a];
      return {
        ...(b ?? { ...emptyScore(ATTRIBUTES[a].name), via: '—' }),
        ...(s && s.via !== b?.via
          ? { sharpest: `${s.via} (${s.correct}/${s.attachments}, gain ${s.maxGain.toFixed(2)})` }
          : {}),
      };
    }),
    timedEventSets: timed.sets,
    recordsAttached: attached.size,
    links: links.sort((a, b) => b.truePairs - a.truePairs || b.precision - a.precision),
    rulesTried,
    joins: joins.sort((a, b) => b.attached - a.attached),
  };
}

/**
 * The truth side: which logged call an entity stands for, through any id the application
 * returned for it (the contact's id, its cases' ids), wherever in the entity that id sits.
 */
function callResolver(callById: Map<string, Call>) {
  return (e: Entity): Call | undefined => {
    for (const id of [e.anchor.id!, ...e.ids, ...e.links.map(([, value]) => value)]) {
      const call = callById.get(id);
      if (call) return call;
    }
    return undefined;
  };
}

function calendarDay(timeZone: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  const cache = new Map<number, string>();
  return (ms) => {
    const hour = Math.floor(ms / 3_600_000);
    let day = cache.get(hour);
    if (!day) cache.set(hour, (day = format.format(new Date(hour * 3_600_000))));
    return day;
  };
}
