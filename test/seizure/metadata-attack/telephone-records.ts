import { REGIONS } from '@mayak/intake';
import { seededRandom } from '@mayak/statistics';
import { Call, uniquePhone } from './population';

/**
 * What the state holds without seizing anything: the call detail records of the helpline's
 * numbers. One per phone call the helpline logged, as the operator saw it (its clock and the
 * volunteer's differ by a few seconds, and so do the durations), and three times as many
 * calls that never became a contact: hang-ups, wrong numbers, calls nobody logged, made both
 * by the helpline's own callers at other times and by numbers that never reached a
 * volunteer. Each record carries the region its number is registered in, as an operator's
 * records do.
 *
 * `call` is the truth the attacker never sees: the logged call a record belongs to.
 */
export interface TelephoneRecord {
  index: number;
  phone: string;
  phoneRegion: string;
  start: Date;
  durationSeconds: number;
  call?: Call;
}

/** The operator's records may differ from the volunteer's by this much, either way. */
export const START_JITTER_SECONDS = 4;
export const DURATION_JITTER_SECONDS = 3;
const UNRELATED_PER_CALL = 3;

export function telephoneRecords(
  calls: readonly Call[],
  period: { from: Date; until: Date },
  seed: number,
): TelephoneRecord[] {
  const random = seededRandom(seed ^ 0x7e1);
  const jitter = (max: number) => Math.round((random() * 2 - 1) * max);
  const records: Array<Omit<TelephoneRecord, 'index'>> = [];
  const phoneCalls = calls.filter((c) => c.channel === 'phone');
  for (const call of phoneCalls)
    records.push({
      phone: call.caller.phone,
      phoneRegion: call.caller.phoneRegion,
      start: new Date(call.startedAt.getTime() + jitter(START_JITTER_SECONDS) * 1000),
      durationSeconds: Math.max(1, call.durationSeconds + jitter(DURATION_JITTER_SECONDS)),
      call,
    });
  const taken = new Set(calls.map((c) => c.caller.phone));
  const callers = [...new Set(calls.map((c) => c.caller))];
  const span = period.until.getTime() - period.from.getTime();
  for (let i = 0; i < phoneCalls.length * UNRELATED_PER_CALL; i++) {
    const known = random() < 0.5 ? callers[Math.floor(random() * callers.length)] : undefined;
    records.push({
      phone: known?.phone ?? uniquePhone(random, taken),
      phoneRegion: known?.phoneRegion ?? REGIONS[Math.floor(random() * 30)],
      start: new Date(period.from.getTime() + Math.floor(random() * span)),
      // Hang-ups and wrong numbers are short; the rest look like the calls that were logged.
      durationSeconds:
        random() < 0.4 ? 3 + Math.floor(random() * 60) : 60 + Math.floor(random() * 1_800),
    });
  }
  records.sort((a, b) => a.start.getTime() - b.start.getTime());
  return records.map((r, index) => ({ ...r, index }));
}
