import { REGIONS, TOPICS } from '@mayak/intake';

/**
 * Synthetic contacts for demos and benchmarks, shaped like a real helpline's: a few big
 * regions and a long tail of small ones, topics and age bands unevenly spread, most callers
 * consenting to statistics. Deterministic for a given seed. Never mixed with real data: they
 * are logged by a disabled "synthetic-data" account.
 */
export interface SyntheticContact {
  startedAt: Date;
  channel: string;
  region: string;
  ageBand: string | null;
  genderIdentity: string | null;
  topics: string[];
  immediateRisk: boolean;
  outcome: string;
  services: string[];
  durationSeconds: number;
  statistics: boolean;
}

type Weighted<T> = ReadonlyArray<readonly [T, number]>;

const BIG_REGIONS: Weighted<string> = [
  ['RU-MOW', 24],
  ['RU-SPE', 14],
  ['RU-MOS', 5],
  ['RU-KDA', 3.5],
  ['RU-SVE', 3.5],
  ['RU-NVS', 3],
  ['RU-TA', 2.5],
  ['RU-NIZ', 2.5],
  ['RU-SAM', 2],
  ['RU-ROS', 2],
];

/** The rest share what is left, each smaller than the one before (a long tail). */
const REGION_WEIGHTS: Weighted<string> = (() => {
  const big = new Set(BIG_REGIONS.map(([r]) => r));
  const tail = REGIONS.filter((r) => !big.has(r));
  const left = 100 - BIG_REGIONS.reduce((s, [, w]) => s + w, 0);
  const harmonic = tail.reduce((s, _, i) => s + 1 / (i + 2), 0);
  return [...BIG_REGIONS, ...tail.map((r, i) => [r, (left * (1 / (i + 2))) / harmonic] as const)];
})();

const TOPIC_WEIGHTS: Weighted<string> = TOPICS.map((t, i) => {
  const heavy: Record<string, number> = {
    detention: 14,
    violence: 12,
    family: 10,
    mental_health: 10,
    coming_out: 8,
    discrimination: 8,
    police: 7,
    legal_info: 6,
  };
  return [t, heavy[t] ?? Math.max(1, 5 - i * 0.2)] as const;
});

const CHANNELS: Weighted<string> = [
  ['phone', 45],
  ['messenger', 30],
  ['chat', 20],
  ['email', 4],
  ['in_person', 1],
];
const AGE_BANDS: Weighted<string | null> = [
  ['under_18', 4],
  ['18-24', 26],
  ['25-34', 33],
  ['35-44', 17],
  ['45-54', 8],
  ['55-64', 3],
  ['65_plus', 1],
  [null, 8],
];
const GENDERS: Weighted<string | null> = [
  ['man', 34],
  ['woman', 30],
  ['non_binary', 9],
  ['trans_woman', 7],
  ['trans_man', 6],
  ['other', 2],
  ['undisclosed', 4],
  [null, 8],
];
const OUTCOMES: Weighted<string> = [
  ['information_given', 40],
  ['referred', 38],
  ['escalated', 5],
  ['call_dropped', 7],
  ['other', 10],
];

/** mulberry32: small, fast, good enough for synthetic data, and seedable. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function picker<T>(weights: Weighted<T>): (r: number) => T {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  const cumulative: number[] = [];
  let sum = 0;
  for (const [, w] of weights) cumulative.push((sum += w / total));
  return (r) => {
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return weights[lo][0];
  };
}

export class SyntheticContactGenerator {
  private readonly random: () => number;
  private readonly region = picker(REGION_WEIGHTS);
  private readonly topic = picker(TOPIC_WEIGHTS);
  private readonly channel = picker(CHANNELS);
  private readonly age = picker(AGE_BANDS);
  private readonly gender = picker(GENDERS);
  private readonly outcome = picker(OUTCOMES);

  constructor(
    seed: number,
    /** Contacts are spread over the `days` days before `until`. */
    private readonly days: number,
    private readonly until = Date.now(),
  ) {
    this.random = seededRandom(seed);
  }

  next(): SyntheticContact {
    const r = this.random;
    const topics = [this.topic(r())];
    if (r() < 0.35) topics.push(this.topic(r()));
    const immediateRisk = r() < 0.04;
    const services: string[] = [];
    if (r() < 0.35) services.push('legal');
    if (r() < 0.25) services.push('psych');
    if (immediateRisk && r() < 0.7) services.push('emergency');
    return {
      startedAt: new Date(this.until - Math.floor(r() * this.days * 86_400_000)),
      channel: this.channel(r()),
      region: this.region(r()),
      ageBand: this.age(r()),
      genderIdentity: this.gender(r()),
      topics: [...new Set(topics)],
      immediateRisk,
      outcome: immediateRisk ? 'escalated' : this.outcome(r()),
      services,
      durationSeconds: 60 + Math.floor(r() * 1_800),
      statistics: r() < 0.85,
    };
  }
}
