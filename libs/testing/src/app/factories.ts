import { randomInt } from 'node:crypto';

/** A realistic intake body; override what a test cares about. */
export function contactBody(overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    channel: 'phone',
    startedAt: new Date(Date.now() - 10 * 60_000).toISOString(),
    durationSeconds: 540,
    region: 'RU-SPE',
    caller: {
      pseudonym: 'Anna',
      ageBand: '25-34',
      genderIdentity: 'woman',
      orientation: 'lesbian',
      identifier: `+79${String(randomInt(100_000_000, 999_999_999))}`,
    },
    topics: ['detention', 'violence'],
    immediateRisk: false,
    summary: 'Detained after a raid on a club; asks what to say to the police.',
    outcome: 'referred',
    consent: {
      scopes: ['service:legal', 'contact_back', 'statistics'],
      textVersion: '2026-01',
      retentionDays: 365,
    },
    services: ['legal'],
    ...overrides,
  };
}
