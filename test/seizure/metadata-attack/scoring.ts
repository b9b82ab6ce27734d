import { ATTRIBUTES, Events } from './attributes';
import { Candidates, Entity } from './join';
import { Call } from './population';
import { TelephoneRecord } from './telephone-records';

/**
 * What the entity's plaintext says about each attribute. The attacker has Mayak's source
 * code, so knows what every column means; the scorer stands in for that knowledge by
 * learning, over all entities, how often each plaintext feature ("self:contacts.orientation=gay",
 * "child:cases.service=legal") goes with each attribute value. A column holding the attribute
 * in the clear gives certainty; a correlated one (an outcome that implies the risk flag)
 * gives what it gives; ciphertext gives nothing. For each entity and value the most telling
 * feature is kept, shrunk towards the population's frequency when it is rare.
 */
export interface Readout {
  /** Per entity: (event, probability − prior) for the events its plaintext moves. */
  deviations: Array<Array<[number, number]>>;
}

const SUPPORT = 30;
const SHRINK = 20;

export function readout(
  entities: Entity[],
  callOf: (e: Entity) => Call | undefined,
  ev: Events,
): Readout {
  const n = ev.list.length;
  const featureCounts = new Map<string, { total: number; hits: Float64Array }>();
  for (const e of entities) {
    const call = callOf(e);
    if (!call) continue;
    const truth = ev.truth.get(call.index)!;
    for (const f of e.features) {
      let c = featureCounts.get(f);
      if (!c) featureCounts.set(f, (c = { total: 0, hits: new Float64Array(n) }));
      c.total++;
      for (const t of truth) c.hits[t]++;
    }
  }
  const telling = new Map<string, Float64Array>();
  for (const [f, c] of featureCounts) {
    if (c.total < SUPPORT) continue;
    const dev = new Float64Array(n);
    let max = 0;
    for (let i = 0; i < n; i++) {
      const prior = ev.list[i].prior;
      const raw = c.hits[i] / c.total;
      // A column that holds the value itself is pure: no shrinking what the schema says.
      const pure = raw >= 0.98 || raw <= 0.02;
      dev[i] = (pure ? raw : (c.hits[i] + SHRINK * prior) / (c.total + SHRINK)) - prior;
      max = Math.max(max, Math.abs(dev[i]));
    }
    if (max >= 0.01) telling.set(f, dev);
  }
  const deviations = entities.map((e) => {
    const best = new Float64Array(n);
    for (const f of e.features) {
      const dev = telling.get(f);
      if (!dev) continue;
      for (let i = 0; i < n; i++) if (Math.abs(dev[i]) > Math.abs(best[i])) best[i] = dev[i];
    }
    const sparse: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) if (Math.abs(best[i]) >= 0.005) sparse.push([i, best[i]]);
    return sparse;
  });
  return { deviations };
}

export interface AttributeScore {
  attribute: string;
  /** Records whose best claim gains more than 0.10 over the population's frequency. */
  attachments: number;
  /** …of which the claimed value was true. */
  correct: number;
  /** The highest gain over the prior among true claims, and the posterior it reached. */
  maxGain: number;
  maxPosterior: number;
  /** Claims at posterior ≥ 0.99 that the data moved there, and how many of those were true. */
  certain: number;
  certainCorrect: number;
  /** The records with a true claim above 0.10, for the overall count. */
  attached: Set<number>;
}

export const ATTACHMENT = 0.1;

/** Claims of one value under one rule whose posteriors fall in one band of this width. */
const CALIBRATION_BAND = 0.05;
/**
 * Fewer claims than this in a band: too few to calibrate (at 200 claims chance moves a band's
 * precision by about 0.03, well under the 0.10 that counts); the raw posterior stands.
 */
const CALIBRATION_SUPPORT = 200;

interface Claim {
  record: number;
  attribute: number;
  event: number;
  gain: number;
  posterior: number;
  correct: boolean;
}

/**
 * Scores one join rule: what it attaches to the telephone records of logged calls.
 *
 * A posterior is the attacker's own estimate, and an estimate summed from the evidence it
 * finds can be miscalibrated: a join to a whole day of calls, say, adds up the values that
 * are there and not those that are not, and claims the common ones a little above their
 * frequency for every call of the day, right exactly as often as guessing. The gain is what
 * the claim is worth, so each is calibrated: claims of the same value under the same rule are
 * banded by posterior, and a band of enough claims is worth what it actually gets right (an
 * attacker who had the answers for an earlier seizure could learn that much). A band too
 * small to tell keeps its raw posterior, in the attacker's favour.
 */
export function scoreRule(
  candidates: Candidates,
  entities: Entity[],
  read: Readout,
  ev: Events,
  records: TelephoneRecord[],
): AttributeScore[] {
  const scores = ATTRIBUTES.map((a) => emptyScore(a.name));
  const summary = ATTRIBUTES.findIndex((a) => a.kind === 'text');
  const claims: Claim[] = [];
  const sums = new Map<object, { gain: Map<number, number>; texts: Map<string, number> }>();
  for (const r of records) {
    if (!r.call) continue;
    const list = candidates.get(r.index);
    if (!list) continue;
    // Records of one bucket share their list (candidatesUnder): sum it once.
    let summed = sums.get(list);
    if (!summed) {
      summed = { gain: new Map<number, number>(), texts: new Map<string, number>() };
      for (const { entity, weight } of list) {
        for (const [event, dev] of read.deviations[entity])
          summed.gain.set(event, (summed.gain.get(event) ?? 0) + weight * dev);
        for (const t of new Set(entities[entity].texts))
          summed.texts.set(t, (summed.texts.get(t) ?? 0) + weight);
      }
      sums.set(list, summed);
    }
    const { gain, texts } = summed;
    const best = new Map<number, { event: number; gain: number }>();
    for (const [event, g] of gain) {
      const a = ev.list[event].attribute;
      if (!best.has(a) || g > best.get(a)!.gain) best.set(a, { event, gain: g });
    }
    const trueEvents = new Set(ev.truth.get(r.call.index) ?? []);
    for (const [a, { event, gain: g }] of best)
      claims.push({
        record: r.index,
        attribute: a,
        event,
        gain: g,
        posterior: ev.list[event].prior + g,
        correct: trueEvents.has(event),
      });
    let topText: [string, number] | undefined;
    for (const t of texts) if (!topText || t[1] > topText[1]) topText = t;
    if (topText)
      noteClaim(scores[summary], r.index, topText[1], topText[1], topText[0] === r.call.summary);
  }
  const bands = new Map<string, { claims: number; correct: number }>();
  const bandOf = (c: Claim) => `${c.event}:${Math.floor(c.posterior / CALIBRATION_BAND)}`;
  for (const c of claims) {
    const band = bands.get(bandOf(c)) ?? { claims: 0, correct: 0 };
    band.claims++;
    if (c.correct) band.correct++;
    bands.set(bandOf(c), band);
  }
  for (const c of claims) {
    const band = bands.get(bandOf(c))!;
    const posterior = band.claims >= CALIBRATION_SUPPORT ? band.correct / band.claims : c.posterior;
    const gain = posterior - ev.list[c.event].prior;
    noteClaim(scores[c.attribute], c.record, gain, posterior, c.correct);
  }
  return scores;
}

export function emptyScore(attribute: string): AttributeScore {
  return {
    attribute,
    attachments: 0,
    correct: 0,
    maxGain: 0,
    maxPosterior: 0,
    certain: 0,
    certainCorrect: 0,
    attached: new Set(),
  };
}

/** One claim about one record: counted when it gains more than ATTACHMENT, kept if true. */
export function noteClaim(
  s: AttributeScore,
  record: number,
  gain: number,
  posterior: number,
  correct: boolean,
): void {
  if (posterior >= 0.99 && gain > 0) {
    s.certain++;
    if (correct) s.certainCorrect++;
  }
  if (gain > ATTACHMENT) {
    s.attachments++;
    if (correct) {
      s.correct++;
      s.attached.add(record);
    }
  }
  if (correct && gain > s.maxGain) [s.maxGain, s.maxPosterior] = [gain, posterior];
}

export interface LinkScore {
  path: string;
  /** Pairs of calls that share the value. */
  pairs: number;
  /** …that are calls of the same caller. */
  truePairs: number;
  precision: number;
  /** Share of all same-caller pairs (among the calls mapped to entities) found this way. */
  recall: number;
}

/**
 * Linking: two entities that share a parent id, a hash or any other pseudonymous value are
 * claimed to be calls of one caller. Counted per path, without enumerating pairs.
 */
export function scoreLinks(
  entities: Entity[],
  callOf: (e: Entity) => Call | undefined,
): LinkScore[] {
  const mapped = entities.map((e) => ({ e, call: callOf(e) })).filter((m) => m.call);
  const byCaller = new Map<number, number>();
  const seen = new Set<number>();
  for (const { call } of mapped) {
    if (seen.has(call!.index)) continue;
    seen.add(call!.index);
    byCaller.set(call!.caller.index, (byCaller.get(call!.caller.index) ?? 0) + 1);
  }
  const allTrue = [...byCaller.values()].reduce((s, k) => s + (k * (k - 1)) / 2, 0);
  // Per path and value: the distinct calls sharing it, by caller. Two cases of one call are
  // one call, not a link.
  const groups = new Map<string, Map<string, Map<number, Set<number>>>>();
  for (const { e, call } of mapped)
    for (const [path, value] of e.links) {
      const byValue = groups.get(path) ?? new Map<string, Map<number, Set<number>>>();
      const callers = byValue.get(value) ?? new Map<number, Set<number>>();
      const calls = callers.get(call!.caller.index) ?? new Set<number>();
      calls.add(call!.index);
      callers.set(call!.caller.index, calls);
      byValue.set(value, callers);
      groups.set(path, byValue);
    }
  const scores: LinkScore[] = [];
  for (const [path, byValue] of groups) {
    let pairs = 0;
    let truePairs = 0;
    for (const callers of byValue.values()) {
      const size = [...callers.values()].reduce((a, b) => a + b.size, 0);
      pairs += (size * (size - 1)) / 2;
      for (const k of callers.values()) truePairs += (k.size * (k.size - 1)) / 2;
    }
    if (pairs > 0)
      scores.push({
        path,
        pairs,
        truePairs,
        precision: truePairs / pairs,
        recall: allTrue > 0 ? truePairs / allTrue : 0,
      });
  }
  return scores.sort((a, b) => b.truePairs - a.truePairs || b.precision - a.precision);
}
