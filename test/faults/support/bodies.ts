import { randomInt } from 'node:crypto';
import { AGE_BANDS, GENDER_IDENTITIES, ORIENTATIONS, REGIONS, TOPICS } from '@mayak/intake';

/** What one intake asks for: the services whose cases the 201 must have raised. */
export interface IntakePlan {
  body: Record<string, unknown>;
  /** Cases the intake raises, by service (emergency included when the caller is in danger). */
  services: string[];
}

const SUMMARIES = [
  'Задержан после рейда в клубе; спрашивает, что говорить в полиции.',
  'Угрожают уволить с работы после того, как коллеги узнали об ориентации.',
  'Caller describes threats from a neighbour and asks how to file a complaint safely.',
  'Родственники забрали документы и телефон; просит совета, как их вернуть.',
  'Anxious after a police visit at home; would like to talk to a psychologist this week.',
];
const PSEUDONYMS = ['Anna', 'Misha', 'Sasha', 'Zhenya', 'Kira', 'Lev', 'Dima'];
const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)];

/**
 * An intake as volunteers log them: mostly legal and psychological help (some both), some
 * information only, and one in twenty callers in immediate danger who consent to emergency
 * help (an emergency case that pages the rota, besides the legal case they also ask for).
 */
export function intakePlan(): IntakePlan {
  const roll = randomInt(100);
  const emergency = roll < 5;
  const services = emergency
    ? ['legal']
    : roll < 40
      ? ['legal']
      : roll < 65
        ? ['psych']
        : roll < 87
          ? ['legal', 'psych']
          : [];
  const scopes = [
    ...services.map((s) => `service:${s}`),
    ...(emergency ? ['service:emergency'] : []),
    'statistics',
    ...(roll % 2 === 0 ? ['contact_back'] : []),
  ];
  const region = randomInt(2) === 0 ? pick(['RU-MOW', 'RU-SPE']) : pick(REGIONS);
  const body = {
    channel: pick(['phone', 'chat', 'messenger']),
    startedAt: new Date(Date.now() - randomInt(60_000, 3_600_000)).toISOString(),
    durationSeconds: randomInt(60, 2_400),
    region,
    caller: {
      pseudonym: pick(PSEUDONYMS),
      ageBand: pick(AGE_BANDS),
      genderIdentity: pick(GENDER_IDENTITIES),
      orientation: pick(ORIENTATIONS),
      // A few hundred callers: some call again (the repeat-caller path).
      identifier: `+7912${String(1_000_000 + randomInt(400)).slice(-7)}`,
    },
    topics: [...new Set([pick(TOPICS), pick(TOPICS)])],
    immediateRisk: emergency,
    summary: `${pick(SUMMARIES)} ${pick(SUMMARIES)}`,
    outcome: emergency ? 'escalated' : services.length ? 'referred' : 'information_given',
    consent: {
      scopes,
      textVersion: '2026-01',
      retentionDays: 365,
      ...(scopes.includes('contact_back')
        ? { contactBack: { channel: 'phone', safeTimes: 'weekdays after 19:00' } }
        : {}),
    },
    services,
  };
  return { body, services: emergency ? [...services, 'emergency'] : services };
}
