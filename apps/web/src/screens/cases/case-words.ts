import type { CaseStatus, Role, Service, TimelineEntry } from '../../api/types';
import type { Params } from '../../i18n/format';
import type { MessageKey } from '../../i18n/messages.ru';
import type { VocabularyKind } from '../../i18n/vocabulary-labels';

/** useI18n()'s t and label, named here so that this module stays free of React (and testable). */
type Translate = (key: MessageKey, params?: Params) => string;
type Label = (kind: VocabularyKind, code: string) => string;

/** Who serves each service. */
export const SERVICE_ROLE: Record<Service, Role> = {
  legal: 'lawyer',
  psych: 'psychologist',
  emergency: 'responder',
};

/** The routed services (with a pool and claiming) a person serves, in a fixed order. */
export function routedServicesOf(roles: readonly Role[]): Array<'legal' | 'psych'> {
  return (['legal', 'psych'] as const).filter((service) => roles.includes(SERVICE_ROLE[service]));
}

export const STATUS_KEY: Record<CaseStatus, MessageKey> = {
  queued: 'case.status.queued',
  assigned: 'case.status.assigned',
  in_progress: 'case.status.in_progress',
  closed: 'case.status.closed',
};

/** A case's status in words; an emergency "in the queue" is being paged, and says so. */
export const statusLabel = (t: Translate, status: CaseStatus, service?: Service): string =>
  service === 'emergency' && status === 'queued'
    ? t('case.status.paging')
    : STATUS_KEY[status]
      ? t(STATUS_KEY[status])
      : status;

const TIMELINE_KEY: Record<string, MessageKey> = {
  created: 'timeline.created',
  routed: 'timeline.routed',
  assigned: 'timeline.assigned',
  claimed: 'timeline.claimed',
  accepted: 'timeline.accepted',
  declined: 'timeline.declined',
  reassigned: 'timeline.reassigned',
  note_added: 'timeline.note_added',
  closed: 'timeline.closed',
  withdrawn: 'timeline.withdrawn',
  escalated: 'timeline.escalated',
  paged: 'timeline.paged',
  acknowledged: 'timeline.acknowledged',
  sla_breached: 'timeline.sla_breached',
  break_glass: 'timeline.break_glass',
  follow_up_set: 'timeline.follow_up_set',
  follow_up_done: 'timeline.follow_up_done',
  follow_up_cancelled: 'timeline.follow_up_cancelled',
  handover_offered: 'timeline.handover_offered',
  handover_accepted: 'timeline.handover_accepted',
  handover_refused: 'timeline.handover_refused',
  handed_over: 'timeline.handed_over',
};

/** What happened, in words; the detail adds only codes and counts, never content. */
export function timelineText(t: Translate, label: Label, entry: TimelineEntry): string {
  const key = TIMELINE_KEY[entry.type];
  const base = key ? t(key) : entry.type;
  const detail = entry.detail;
  const num = (name: string) => (typeof detail[name] === 'number' ? detail[name] : undefined);
  if (entry.type === 'closed' && typeof detail.outcome === 'string')
    return `${base}: ${label('caseOutcomes', detail.outcome)}`;
  if (entry.type === 'paged') {
    const tier = num('tier');
    const recipients = num('recipients');
    if (tier === undefined) return base;
    return recipients === 0
      ? t('timeline.pagedNobody', { tier })
      : t('timeline.pagedTier', { tier, count: recipients ?? 0 });
  }
  if (entry.type === 'sla_breached') {
    const tier = num('tier');
    return tier === undefined ? base : t('timeline.slaBreachedTier', { tier });
  }
  if (entry.type === 'withdrawn' && typeof detail.scopes === 'string')
    return `${base}: ${detail.scopes
      .split(',')
      .map((scope) => label('consentScopes', scope))
      .join(', ')}`;
  return base;
}

/** "2 h 5 min", "40 min", "3 d 2 h": how long something has waited, in the person's language. */
export function duration(t: Translate, seconds: number): string {
  const minutes = Math.max(0, Math.floor(seconds / 60));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return t('time.daysHours', { days, hours });
  if (hours > 0) return t('time.hoursMinutes', { hours, minutes: rest });
  return t('time.minutes', { minutes: rest });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string | undefined): value is string =>
  value !== undefined && UUID.test(value);
