import type { NewContact, Service } from '../../api/types';
import {
  CONSENT_TEXT_VERSION,
  SCOPE_OF_SERVICE,
  type ConsentScope,
} from '../../i18n/consent-script';
import type { ReferralChoice } from './referral-choice';
import { formatClock, parseClock } from './start-time';

/** The intake form as typed, before it becomes a request. */
export interface Draft {
  channel: string;
  /** A clock reading, HH:MM; see parseClock. */
  startedAt: string;
  /** Until the person edits it, the start time follows the clock (see IntakeForm). */
  startedAtEdited: boolean;
  /** Whole minutes, or empty to count from the start time to saving. */
  durationMinutes: string;
  region: string;
  identifier: string;
  pseudonym: string;
  ageBand: string;
  genderIdentity: string;
  orientation: string;
  topics: string[];
  immediateRisk: boolean;
  summary: string;
  services: Service[];
  scopes: ConsentScope[];
  contactBackChannel: string;
  contactBackSafeTimes: string;
  retentionDays: number;
  outcome: string;
  /** Until the person picks one, the outcome follows what they asked for. */
  outcomeEdited: boolean;
  /** Where the caller was sent (outcome referred), from the referral directory. */
  referrals: ReferralChoice[];
}

export const RETENTION_CHOICES = [30, 90, 180, 365, 730] as const;
export const DEFAULT_RETENTION_DAYS = 365;

export function emptyDraft(now: Date, region: string): Draft {
  return {
    channel: 'phone',
    startedAt: formatClock(now),
    startedAtEdited: false,
    durationMinutes: '',
    region,
    identifier: '',
    pseudonym: '',
    ageBand: '',
    genderIdentity: '',
    orientation: '',
    topics: [],
    immediateRisk: false,
    summary: '',
    services: [],
    scopes: [],
    contactBackChannel: 'phone',
    contactBackSafeTimes: '',
    retentionDays: DEFAULT_RETENTION_DAYS,
    outcome: 'information_given',
    outcomeEdited: false,
    referrals: [],
  };
}

/** What the outcome most likely is, from what was asked for; the person can always change it. */
export function likelyOutcome(draft: Pick<Draft, 'immediateRisk' | 'services'>): string {
  if (draft.immediateRisk) return 'escalated';
  if (draft.services.length > 0) return 'referred';
  return 'information_given';
}

export type DraftChange = Partial<Draft>;

/** Applies a change, keeping the parts that follow others in step. */
export function applyChange(draft: Draft, change: DraftChange): Draft {
  const next = { ...draft, ...change };
  if (change.immediateRisk !== undefined && change.immediateRisk !== draft.immediateRisk) {
    // The switch is the quick way to ask for emergency help; the box stays editable.
    next.services = change.immediateRisk
      ? next.services.includes('emergency')
        ? next.services
        : [...next.services, 'emergency']
      : next.services.filter((s) => s !== 'emergency');
  }
  if (!next.outcomeEdited) next.outcome = likelyOutcome(next);
  return next;
}

/** Services asked for whose consent scope is not ticked: the server would refuse them. */
export function servicesWithoutConsent(draft: Pick<Draft, 'services' | 'scopes'>): Service[] {
  return draft.services.filter((service) => !draft.scopes.includes(SCOPE_OF_SERVICE[service]));
}

export type DraftProblem = 'region' | 'startedAt' | 'duration' | 'consent';

export function problemsOf(draft: Draft, now: Date): DraftProblem[] {
  const problems: DraftProblem[] = [];
  if (!draft.region) problems.push('region');
  if (!parseClock(draft.startedAt, now)) problems.push('startedAt');
  if (draft.durationMinutes.trim() !== '') {
    const minutes = Number(draft.durationMinutes.trim());
    if (!Number.isInteger(minutes) || minutes < 0 || minutes > 600) problems.push('duration');
  }
  if (servicesWithoutConsent(draft).length > 0) problems.push('consent');
  return problems;
}

/** The request body of POST /api/contacts; empty optional fields are left out, not sent blank. */
export function toRequest(draft: Draft, now: Date): NewContact {
  const started = parseClock(draft.startedAt, now) ?? now;
  const durationSeconds =
    draft.durationMinutes.trim() !== ''
      ? Number(draft.durationMinutes.trim()) * 60
      : Math.max(0, Math.round((now.getTime() - started.getTime()) / 1000));
  const caller: NonNullable<NewContact['caller']> = {};
  if (draft.identifier.trim()) caller.identifier = draft.identifier.trim();
  if (draft.pseudonym.trim()) caller.pseudonym = draft.pseudonym.trim();
  if (draft.ageBand) caller.ageBand = draft.ageBand;
  if (draft.genderIdentity) caller.genderIdentity = draft.genderIdentity;
  if (draft.orientation) caller.orientation = draft.orientation;
  const request: NewContact = {
    channel: draft.channel,
    startedAt: started.toISOString(),
    durationSeconds,
    region: draft.region,
    topics: draft.topics,
    immediateRisk: draft.immediateRisk,
    outcome: draft.outcome,
    consent: {
      scopes: draft.scopes,
      textVersion: CONSENT_TEXT_VERSION,
      retentionDays: draft.retentionDays,
      ...(draft.scopes.includes('contact_back')
        ? {
            contactBack: {
              channel: draft.contactBackChannel,
              safeTimes: draft.contactBackSafeTimes.trim(),
            },
          }
        : {}),
    },
    services: draft.services,
  };
  if (Object.keys(caller).length > 0) request.caller = caller;
  if (draft.summary.trim()) request.summary = draft.summary.trim();
  // Referrals travel with the outcome referred only. (A draft kept before there were any has none.)
  const referrals = (draft.referrals as ReferralChoice[] | undefined) ?? [];
  if (draft.outcome === 'referred' && referrals.length > 0)
    request.referralIds = referrals.map((r) => r.id);
  return request;
}
