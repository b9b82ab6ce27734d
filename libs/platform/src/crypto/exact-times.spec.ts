import { randomBytes } from 'node:crypto';
import { EnvelopeCipher } from './envelope-cipher';
import { ExactTimes } from './exact-times';
import { deriveKeyMaterial } from './key-material';
import { KeyedHash } from './keyed-hash';
import { KeyRing } from './key-ring';

const ring = new KeyRing();
ring.install(deriveKeyMaterial(randomBytes(32)));
const times = (zone = 'Europe/Moscow') =>
  new ExactTimes(new EnvelopeCipher(ring), new KeyedHash(ring), zone);
const binding = { table: 'cases', id: 'c1', column: 'created_at' };

describe('exact times of open work', () => {
  it('keeps the week in the clear and the second sealed', () => {
    const at = new Date('2026-03-10T22:30:05.123Z'); // 01:30 on Wednesday the 11th in Moscow
    const { week: day, sealed } = times().seal(binding, at);
    // Midnight of Monday the 9th, in Moscow.
    expect(day.toISOString()).toBe('2026-03-08T21:00:00.000Z');
    expect(sealed.toString('latin1')).not.toContain('2026');
    expect(times().open(binding, sealed, day)).toEqual(at);
  });

  it("finds the week's Monday in the zone, across a daylight-saving change and a month", () => {
    const berlin = times('Europe/Berlin');
    // Sunday 29 March 2026 (clocks go forward): the week began on Monday the 23rd, at +01:00.
    expect(berlin.weekOf(new Date('2026-03-29T15:00:00Z')).toISOString()).toBe(
      '2026-03-22T23:00:00.000Z',
    );
    // Monday the 30th: a new week, at +02:00.
    expect(berlin.weekOf(new Date('2026-03-30T15:00:00Z')).toISOString()).toBe(
      '2026-03-29T22:00:00.000Z',
    );
    // Sunday 21:30 UTC is Monday 00:30 in Moscow.
    expect(times().weekOf(new Date('2026-03-01T21:30:00Z')).toISOString()).toBe(
      '2026-03-01T21:00:00.000Z',
    );
    expect(times().weekOf(new Date('2026-03-01T20:30:00Z')).toISOString()).toBe(
      '2026-02-22T21:00:00.000Z',
    );
  });

  it('finds midnight across a daylight-saving change', () => {
    const berlin = times('Europe/Berlin');
    // 29 March 2026: clocks go forward at 02:00; midnight is still +01:00.
    expect(berlin.dayOf(new Date('2026-03-29T15:00:00Z')).toISOString()).toBe(
      '2026-03-28T23:00:00.000Z',
    );
    expect(berlin.dayOf(new Date('2026-03-30T15:00:00Z')).toISOString()).toBe(
      '2026-03-29T22:00:00.000Z',
    );
  });

  it('remembers days without mixing them up across midnight, or across a half-hour zone', () => {
    const moscow = times();
    for (const [at, day] of [
      ['2026-03-10T20:59:59.999Z', '2026-03-09T21:00:00.000Z'],
      ['2026-03-10T21:00:00.000Z', '2026-03-10T21:00:00.000Z'],
      ['2026-03-10T20:59:00.000Z', '2026-03-09T21:00:00.000Z'],
    ])
      expect(moscow.dayOf(new Date(at)).toISOString()).toBe(day);
    const kolkata = times('Asia/Kolkata'); // +05:30: midnight is at 18:30 UTC
    expect(kolkata.dayOf(new Date('2026-03-10T18:29:59Z')).toISOString()).toBe(
      '2026-03-09T18:30:00.000Z',
    );
    expect(kolkata.dayOf(new Date('2026-03-10T18:30:00Z')).toISOString()).toBe(
      '2026-03-10T18:30:00.000Z',
    );
  });

  it('gives the day to a process without keys', () => {
    const t = times();
    const { week: day, sealed } = t.seal(binding, new Date('2026-03-10T12:00:00Z'));
    const keyless = new KeyRing();
    const blind = new ExactTimes(
      new EnvelopeCipher(keyless),
      new KeyedHash(keyless),
      'Europe/Moscow',
    );
    expect(blind.open(binding, sealed, day)).toEqual(day);
  });

  it('is bound to its row: a value moved to another row gives the plaintext day', () => {
    const t = times();
    const { week: day, sealed } = t.seal(binding, new Date('2026-03-10T12:00:00Z'));
    expect(t.open({ ...binding, id: 'c2' }, sealed, day)).toEqual(day);
    expect(t.open(binding, null, day)).toEqual(day);
  });
});
