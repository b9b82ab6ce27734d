import { randomInt } from 'node:crypto';
import { AGE_BANDS, GENDER_IDENTITIES, ORIENTATIONS, REGIONS, TOPICS } from '@mayak/intake';

/**
 * Request bodies for POST /api/contacts, shaped like a volunteer's real submit: consent with
 * service:legal, contact_back (with safe times) and statistics, a legal service request, a
 * free-text summary and a phone number to hash and encrypt. Codes come from Mayak's own
 * vocabulary, so the bodies stay valid as it changes; the intake figure posts a few before
 * it measures and stops with the API's answer if one is refused.
 */
const BIG_CITIES = ['RU-MOW', 'RU-SPE'];
const PSEUDONYMS = ['Anna', 'Misha', 'Sasha', 'Zhenya', 'Kira', 'Lev'];
const SENTENCES = [
  'Звонящий сообщает, что после задержания на акции его удерживали в отделе полиции без протокола.',
  'Просит консультацию юриста: угрожают уволить с работы после того, как коллеги узнали об ориентации.',
  'Caller describes threats from a neighbour and asks how to file a complaint safely.',
  'Нужна помощь с заявлением; боится, что данные попадут к родственникам.',
  'Agreed to be called back in the evening on a safe number; no messages by text.',
];

const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)];

/** Half the calls from Moscow and St Petersburg, the rest from anywhere. */
function region(): string {
  const known = REGIONS.filter((r) => r.startsWith('RU-'));
  return randomInt(2) === 0 ? pick(BIG_CITIES) : pick(known);
}

export interface ContactBodies {
  /** Serialised bodies, posted in turn. */
  bodies: string[];
  /** Bytes of one body, on average: the row size the pg INSERT baseline writes. */
  averageBytes: number;
}

/**
 * `count` distinct bodies; about one caller in four calls again (the repeat-caller path), or
 * with `caller` every body from that one phone number.
 * With `emergency`, each is a caller in immediate danger who consents to emergency help:
 * the intake opens an emergency case and pages the on-call responders.
 */
export function contactBodies(
  count: number,
  options: { emergency?: boolean; caller?: string } = {},
): ContactBodies {
  const emergency = options.emergency ?? false;
  const callers = Math.max(1, Math.round(count * 0.75));
  const bodies = Array.from({ length: count }, (_, i) => {
    const phone = options.caller ?? `+7912${String(1_000_000 + (i % callers)).slice(-7)}`;
    const summary = Array.from(
      { length: 2 + randomInt(3) },
      () => SENTENCES[randomInt(SENTENCES.length)],
    ).join(' ');
    return JSON.stringify({
      channel: 'phone',
      startedAt: new Date(Date.now() - randomInt(3_600_000)).toISOString(),
      durationSeconds: 60 + randomInt(1_800),
      region: region(),
      caller: {
        pseudonym: pick(PSEUDONYMS),
        ageBand: pick(AGE_BANDS),
        genderIdentity: pick(GENDER_IDENTITIES),
        orientation: pick(ORIENTATIONS),
        identifier: phone,
      },
      topics: [...new Set([pick(TOPICS), pick(TOPICS)])],
      immediateRisk: emergency,
      summary,
      outcome: emergency ? 'escalated' : 'referred',
      consent: {
        scopes: emergency
          ? ['service:emergency', 'contact_back', 'statistics']
          : ['service:legal', 'contact_back', 'statistics'],
        textVersion: '2026-01',
        retentionDays: 365,
        contactBack: { channel: 'phone', safeTimes: 'weekdays after 19:00' },
      },
      services: emergency ? ['emergency'] : ['legal'],
    });
  });
  const averageBytes = Math.round(
    bodies.reduce((sum, b) => sum + Buffer.byteLength(b), 0) / bodies.length,
  );
  return { bodies, averageBytes };
}
