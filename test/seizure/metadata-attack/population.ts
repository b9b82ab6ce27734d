import { REGIONS } from '@mayak/intake';
import { seededRandom, SyntheticContactGenerator } from '@mayak/statistics';

/**
 * The helpline's callers and their calls over the study period: who each caller is (their
 * phone number and the attributes a volunteer would log) and what each call was about.
 *
 * The per-call distributions (channel, region, age band, gender identity, topics, risk,
 * services, outcome, duration, statistics consent) are `npm run cli -- seed`'s own
 * (SyntheticContactGenerator). What the seed leaves out, and a seizure needs, is added here:
 * orientation, repeat callers (one person calling several times, with the same attributes
 * each time), the phone number the volunteer logs, and a summary.
 */
export interface Caller {
  index: number;
  phone: string;
  /** The region the number is registered in: the caller's own region, mostly. */
  phoneRegion: string;
  ageBand: string | null;
  genderIdentity: string | null;
  orientation: string | null;
}

export interface Call {
  index: number;
  caller: Caller;
  /** Whether the caller gave their number (without it the system cannot recognise them). */
  identified: boolean;
  startedAt: Date;
  durationSeconds: number;
  channel: string;
  region: string;
  topics: string[];
  immediateRisk: boolean;
  outcome: string;
  services: string[];
  statistics: boolean;
  contactBack: boolean;
  summary: string;
}

type Weighted<T> = ReadonlyArray<readonly [T, number]>;

/** Not in the seed (statistics do not use it); a helpline's callers, roughly. */
const ORIENTATIONS: Weighted<string | null> = [
  ['gay', 28],
  ['lesbian', 16],
  ['bisexual', 20],
  ['pansexual', 5],
  ['asexual', 2],
  ['queer', 6],
  ['heterosexual', 5],
  ['other', 2],
  ['undisclosed', 6],
  [null, 10],
];

/** Share of calls from someone who called before, and of callers who give their number. */
const REPEAT_SHARE = 0.3;
const IDENTIFIED_SHARE = 0.8;

export function simulatePopulation(options: {
  calls: number;
  days: number;
  /** The end of the study period. */
  until: Date;
  seed: number;
}): Call[] {
  const generator = new SyntheticContactGenerator(
    options.seed,
    options.days,
    options.until.getTime(),
  );
  const random = seededRandom(options.seed ^ 0x5eed);
  const orientation = picker(ORIENTATIONS);
  const drawn = Array.from({ length: options.calls }, () => generator.next()).sort(
    (a, b) => a.startedAt.getTime() - b.startedAt.getTime(),
  );
  const callers: Caller[] = [];
  /** One entry per earlier call: a returning caller is picked in proportion to their calls. */
  const earlierCalls: Caller[] = [];
  const phones = new Set<string>();
  return drawn.map((c, index) => {
    let caller: Caller;
    const returning = earlierCalls.length > 0 && random() < REPEAT_SHARE;
    if (returning) {
      caller = earlierCalls[Math.floor(random() * earlierCalls.length)];
    } else {
      caller = {
        index: callers.length,
        phone: uniquePhone(random, phones),
        phoneRegion: random() < 0.9 ? c.region : REGIONS[Math.floor(random() * REGIONS.length)],
        ageBand: c.ageBand,
        genderIdentity: c.genderIdentity,
        orientation: orientation(random()),
      };
      callers.push(caller);
    }
    earlierCalls.push(caller);
    return {
      index,
      caller,
      identified: random() < IDENTIFIED_SHARE,
      startedAt: c.startedAt,
      durationSeconds: c.durationSeconds,
      channel: c.channel,
      // A returning caller mostly calls from the same region.
      region: returning && random() < 0.9 ? caller.phoneRegion : c.region,
      topics: c.topics,
      immediateRisk: c.immediateRisk,
      outcome: c.outcome,
      services: c.services,
      statistics: c.statistics,
      contactBack: random() < 0.3,
      summary: `Synthetic summary ${Math.floor(random() * 2 ** 32).toString(36)} of call ${index}: what the caller said, in the volunteer's words.`,
    };
  });
}

/** A Russian mobile number, +79XXXXXXXXX, not given to anyone before. */
export function uniquePhone(random: () => number, taken: Set<string>): string {
  for (;;) {
    const phone = `+79${String(Math.floor(random() * 1e9)).padStart(9, '0')}`;
    if (!taken.has(phone)) {
      taken.add(phone);
      return phone;
    }
  }
}

export function picker<T>(weights: Weighted<T>): (r: number) => T {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  return (r) => {
    let left = r * total;
    for (const [value, weight] of weights) if ((left -= weight) < 0) return value;
    return weights[weights.length - 1][0];
  };
}
