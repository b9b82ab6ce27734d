/** The shapes of the Mayak HTTP API that the UI uses (see /api/docs). */

export const ROLES = [
  'volunteer',
  'lawyer',
  'psychologist',
  'responder',
  'coordinator',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export interface Me {
  id: string;
  username: string;
  roles: Role[];
  idleExpiresAt: string;
  /** How this session signed in: with the authenticator app's code, or with a passkey. */
  secondFactor: 'totp' | 'passkey';
  /**
   * The role signs in with a passkey and this session used a code: until a passkey is
   * registered, the server answers nothing else (403 `passkey_registration_required`).
   */
  passkeyRegistrationRequired: boolean;
}

export interface LoginResponse {
  token: string;
  expiresAt: string;
}

/** GET /api/auth/passkeys: one of the person's own passkeys (never its key or id on the device). */
export interface Passkey {
  id: string;
  name: string;
  addedOn: string;
}

/**
 * A WebAuthn ceremony begun by the server: the ticket goes back with the answer, the options
 * to the browser (@simplewebauthn/browser).
 */
export interface PasskeyCeremony<Options> {
  ticket: string;
  options: Options;
}

export interface EnrolResponse {
  otpauthUri: string;
  secret: string;
}

export interface Account {
  id: string;
  username: string;
  roles: Role[];
  /** Proposed, waiting for a second person (GET /api/role-grants). */
  pendingRoles: Role[];
  disabled: boolean;
  awaitingEnrolment: boolean;
  totpEnrolled: boolean;
  createdAt: string;
  /** The last successful sign-in, to the hour; null if none is on record. */
  lastSignInAt: string | null;
}

/** An account just made, or given a new code: the code is shown this once. */
export interface AccountWithEnrolment extends Account {
  enrolment: { code: string; expiresAt: string };
}

export interface PendingGrant {
  id: string;
  userId: string;
  username: string;
  role: Role;
  proposedBy: string;
  proposedByUsername: string;
  proposedAs: 'admin' | 'coordinator';
  proposedAt: string;
  granteeEnrolled: boolean;
  mayConfirm: boolean;
}

/** GET /api/withdrawals: a consent withdrawal waiting for a coordinator; it names no caller. */
export interface PendingWithdrawal {
  id: string;
  /** Consent scope codes (the vocabulary's consentScopes). */
  scopes: string[];
  requestedBy: string;
  requestedByUsername: string;
  requestedAt: string;
  status: 'pending' | 'confirmed';
  /** When a confirmed one is applied: from the start of the second day after the request. */
  notBefore: string;
}

/**
 * POST /api/callers/:id/consent/withdraw: what changed at once (the asker's own contacts of
 * the caller within their window, or everything for the assignee of an open case), and, with
 * `pendingId`, that the rest waits in the coordinators' queue.
 */
export interface WithdrawalReceipt {
  callerId: string;
  /** Consent scope codes. */
  withdrawn: string[];
  /** Open cases of a withdrawn service, closed as withdrawn. */
  closedCaseIds: string[];
  pendingId?: string;
}

export interface CodeEnrolResponse {
  username: string;
  otpauthUri: string;
  secret: string;
}

export interface Vocabulary {
  channels: string[];
  regions: string[];
  topics: string[];
  ageBands: string[];
  genderIdentities: string[];
  orientations: string[];
  contactOutcomes: string[];
  caseOutcomes: string[];
  consentScopes: string[];
  services: string[];
}

export type Service = 'legal' | 'psych' | 'emergency';

export interface NewContact {
  channel: string;
  startedAt: string;
  durationSeconds: number;
  region: string;
  caller?: {
    pseudonym?: string;
    ageBand?: string;
    genderIdentity?: string;
    orientation?: string;
    identifier?: string;
  };
  topics: string[];
  immediateRisk: boolean;
  summary?: string;
  outcome: string;
  consent: {
    scopes: string[];
    textVersion: string;
    retentionDays: number;
    contactBack?: { channel: string; safeTimes: string };
  };
  services: Service[];
  /** Entries of the referral directory the caller was sent to (outcome referred). */
  referralIds?: string[];
}

/** POST /api/contacts/saved-under-key: what a save's Idempotency-Key stored, if anything. */
export interface SavedUnderKey {
  saved: boolean;
  contactId?: string;
}

export interface ContactCreated {
  id: string;
  callerId: string | null;
  caseIds: string[];
  repeatCaller: { previousContacts: number };
  /** With an emergency: who its first page goes to, by the rota when it was saved. */
  emergencyPaged?: EmergencyPaged;
}

export interface MyContact {
  id: string;
  callerId: string | null;
  channel: string;
  startedAt: string;
  durationSeconds: number;
  region: string;
  caller: {
    pseudonym?: string | null;
    ageBand?: string | null;
    genderIdentity?: string | null;
    orientation?: string | null;
  } | null;
  topics: string[];
  immediateRisk: boolean;
  summary: string | null;
  outcome: string;
  services: Service[];
  caseIds: string[];
  /** Entries of the referral directory the caller was sent to: POST /api/referrals/read names them. */
  referralIds: string[];
  /** The cases the contact raised (and any emergency escalated from them since). */
  cases: ContactCase[];
  createdAt: string;
  /** Encrypted fields that no longer exist: consent withdrawn, or retention passed. */
  erased: string[];
}

export interface CallerLookup {
  previousContacts: number;
  /** Newest first: those the caller's consent lets the volunteer see. */
  earlierContacts: EarlierContact[];
  /** Earlier contacts not shown: the caller's consent does not allow it. */
  hiddenContacts: number;
}

/** One earlier contact of a caller, as a volunteer on a later call sees it. */
export interface EarlierContact {
  /** YYYY-MM-DD: the day, never the time. */
  date: string;
  services: Service[];
  outcome: string;
}

/** Who an emergency's first page goes to, by role and tier. */
export type EmergencyPaged = 'tier1' | 'tier2' | 'coordinators' | 'nobody';

export type CaseSearchScope = 'mine' | 'board';
export type CaseSortField = 'opened' | 'due' | 'priority';

/** A case in search results: the reader's list view (no topics on the board). */
export interface CaseSearchItem {
  id: string;
  service: Service;
  status: CaseStatus;
  priority: number;
  region: string | null;
  ageBand: string | null;
  topics?: string[] | null;
  createdAt: string;
  dueAt: string | null;
  assignedAt?: string | null;
  acknowledgedAt?: string | null;
  assigneeId?: string | null;
}

export interface CaseSearchPage {
  items: CaseSearchItem[];
  total: number;
  limit: number;
  offset: number;
  truncated: boolean;
}

/** An earlier case of the same caller in the reader's service. */
export interface EarlierCase {
  id: string;
  /** YYYY-MM-DD */
  openedOn: string;
  status: CaseStatus;
  outcome: string | null;
  mine: boolean;
}

/** A case its contact raised, as "my contacts today" lists it. */
export interface ContactCase {
  id: string;
  service: Service;
  status: CaseStatus;
}

export type CaseStatus = 'queued' | 'assigned' | 'in_progress' | 'closed';

/** GET /api/cases?view=mine */
export interface MyCase {
  id: string;
  service: Service;
  status: CaseStatus;
  priority: number;
  region: string;
  ageBand: string | null;
  topics: string[];
  createdAt: string;
  assignedAt: string | null;
  dueAt: string | null;
  /** The day of the earliest open follow-up (YYYY-MM-DD), or null. */
  followUpDue: string | null;
}

/** GET /api/cases?view=pool: metadata only until someone claims it. */
export interface PoolCase {
  id: string;
  service: Service;
  region: string;
  topics: string[];
  ageBand: string | null;
  createdAt: string;
  waitingSeconds: number;
}

/** GET /api/cases?view=board (coordinators): metadata, never content. */
export interface BoardCase {
  id: string;
  service: Service;
  status: CaseStatus;
  priority: number;
  assigneeId: string | null;
  region: string;
  ageBand: string | null;
  createdAt: string;
  updatedAt: string;
  assignedAt: string | null;
  /** Null until someone acknowledges (emergencies) or accepts the case. */
  acknowledgedAt: string | null;
  dueAt: string | null;
}

export type TimelineType =
  | 'created'
  | 'routed'
  | 'assigned'
  | 'claimed'
  | 'accepted'
  | 'declined'
  | 'reassigned'
  | 'note_added'
  | 'closed'
  | 'withdrawn'
  | 'escalated'
  | 'paged'
  | 'acknowledged'
  | 'sla_breached'
  | 'break_glass'
  | 'follow_up_set'
  | 'follow_up_done'
  | 'follow_up_cancelled'
  | 'handover_offered'
  | 'handover_accepted'
  | 'handover_refused'
  | 'handed_over';

export interface TimelineEntry {
  at: string;
  /** A type this build does not know yet is shown by its code. */
  type: TimelineType | (string & {});
  actorId: string | null;
  detail: Record<string, unknown>;
}

export interface CaseNote {
  id: string;
  authorId: string;
  createdAt: string;
  text: string | null;
  erased: boolean;
}

export interface CaseContact {
  channel: string;
  startedAt: string;
  durationSeconds: number;
  region: string;
  caller: {
    pseudonym: string | null;
    ageBand: string | null;
    genderIdentity: string | null;
    orientation: string | null;
  };
  topics: string[];
  immediateRisk: boolean;
  summary: string | null;
  outcome: string;
  services?: string[];
  /** Entries of the referral directory the caller was sent to. */
  referralIds?: string[];
  /** Encrypted fields that no longer exist (consent withdrawn, retention passed). */
  erased: string[];
  /** Only under contact_back consent. */
  contactBack?: {
    identifier: string;
    contactBack: { channel: string; safeTimes: string } | null;
  };
}

/**
 * GET /api/cases/:id. Each part is present only as far as the reader may see it: a
 * coordinator gets metadata and the timeline, an assignee the contact and notes too.
 */
export interface CaseDetail {
  id: string;
  service: Service;
  status: CaseStatus;
  priority?: number;
  assigneeId?: string | null;
  region?: string;
  ageBand?: string | null;
  topics?: string[];
  createdAt: string;
  updatedAt?: string;
  assignedAt?: string | null;
  acknowledgedAt?: string | null;
  closedAt?: string | null;
  dueAt?: string | null;
  outcome?: string | null;
  timeline?: TimelineEntry[];
  notes?: CaseNote[];
  contact?: CaseContact | null;
  /** After the caller withdrew consent: what existed and was destroyed. */
  erased?: string[];
  /**
   * The caller never consented to this service (an emergency raised without emergency
   * consent): nothing was destroyed, the content is withheld; break-glass opens it.
   */
  withheld?: 'no_consent';
  /** The assignee's planned call backs (13.6). */
  followUps?: FollowUp[];
  /** The pending offer of this case to a colleague, to its sender and to the colleague. */
  handover?: Handover | null;
}

export interface FollowUp {
  id: string;
  /** YYYY-MM-DD in the helpline's time zone. */
  dueOn: string;
  status: 'open' | 'done' | 'cancelled';
  note: string | null;
  setBy: string;
  notified: boolean;
  overdue: boolean;
}

export interface Handover {
  id: string;
  fromId: string;
  fromName: string | null;
  toId: string;
  toName: string | null;
  note: string | null;
  offeredAt: string;
}

/** GET /api/cases/:id/colleagues */
export interface Colleague {
  userId: string;
  username: string;
}

/** GET /api/handovers: cases offered to me, not answered yet. */
export interface IncomingHandover {
  handoverId: string;
  caseId: string;
  service: Service;
  priority: number;
  fromId: string;
  fromName: string | null;
  offeredAt: string;
}

/** GET /api/overdue-work (coordinators): metadata only. */
export interface OverdueWork {
  followUps: Array<{
    id: string;
    caseId: string;
    service: Service;
    assigneeId: string | null;
    dueOn: string;
    overdue: boolean;
  }>;
  handovers: Array<{
    id: string;
    caseId: string;
    service: Service;
    fromId: string;
    toId: string;
    offeredAt: string;
  }>;
}

export interface CaseStatusResponse {
  id: string;
  status: CaseStatus;
  assigneeId: string | null;
}

/** GET /api/emergencies */
export interface EmergencyEntry {
  id: string;
  status: CaseStatus;
  region: string;
  createdAt: string;
  tier: number;
  round: number;
  pagedAt: string;
  /** When the current tier's time to acknowledge runs out; null once acknowledged. */
  ackDueAt: string | null;
  acknowledgedAt: string | null;
  assigneeId: string | null;
  /** Whether the caller consented to emergency help; without it, details need break-glass. */
  consented: boolean;
}

export type NotificationType =
  | 'emergency_page'
  | 'case_assigned'
  | 'break_glass'
  | 'sla_breached'
  | 'lookup_burst'
  | 'decline_burst'
  | 'withdrawal_pending'
  | 'role_grant_pending'
  | 'passkey_added'
  | 'withdrawal_burst'
  | 'follow_up_due'
  | 'handover_offered'
  | 'handover_refused';

export interface AppNotification {
  id: string;
  type: NotificationType | (string & {});
  caseId: string | null;
  /** The staff member a notification about conduct (a burst of lookups) is about. */
  aboutUserId?: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface Availability {
  onShift: boolean;
  capacity: number;
  /** Empty: any region. */
  regions: string[];
}

export interface StaffMember extends Availability {
  userId: string;
  username: string;
  roles: Role[];
  openCases: number;
}

export type Tier = 1 | 2 | 3;

export interface Shift {
  id: string;
  userId: string;
  username: string;
  tier: Tier;
  startsAt: string;
  endsAt: string;
}

/** A weekly shift, on the wall clock of `timeZone` (the helpline's zone). */
export interface Recurrence {
  id: string;
  userId: string;
  username: string;
  tier: Tier;
  /** ISO: 1 Monday … 7 Sunday. */
  weekday: number;
  /** HH:MM */
  startTime: string;
  durationMinutes: number;
  /** YYYY-MM-DD, included. */
  startsOn: string;
  untilOn: string | null;
  timeZone: string;
  /** Occurrences skipped or replaced, by local date. */
  exceptions: Array<{ occursOn: string; kind: 'skip' | 'replace' }>;
}

/** Someone on call for a stretch: a one-off shift, or one occurrence of a recurring one. */
export interface OnCall {
  shiftId: string | null;
  recurrenceId: string | null;
  occursOn: string | null;
  replaced: boolean;
  userId: string;
  username: string;
  tier: Tier;
  startsAt: string;
  endsAt: string;
}

export interface RotaView {
  shifts: Shift[];
  recurrences: Recurrence[];
  onCall: OnCall[];
  /** The zone recurring shifts are defined in, and the calendar is drawn in. */
  timeZone: string;
  ackTimeoutSeconds: Record<Tier, number>;
}

export const STAT_DIMENSIONS = [
  'channel',
  'region',
  'topic',
  'service',
  'outcome',
  'ageBand',
  'genderIdentity',
  'immediateRisk',
] as const;
export type StatDimension = (typeof STAT_DIMENSIONS)[number];
export type StatPeriod = 'day' | 'week' | 'month' | 'quarter';

/**
 * One published count: a period, a value for each dimension it is broken down by, and the
 * count, or null when disclosure control withheld it (suppressed).
 */
export interface StatRow {
  period?: string;
  count: number | null;
  suppressed?: boolean;
  [dimension: string]: string | number | boolean | null | undefined;
}

/** GET /api/stats */
export interface StatsResponse {
  /** No published count is below k. */
  k: number;
  period?: StatPeriod;
  groupBy: StatDimension[];
  rows: StatRow[];
  /**
   * Contacts of the answer's months without consent to statistics, whatever the filter: in
   * plain counts, never in breakdowns. Null when withheld like a cell.
   */
  excludedWithoutConsent?: number | null;
  /** Periods whose breakdown was withheld whole (too fine to protect, or not in time). */
  withheldPeriods?: string[];
  /** Marginal totals of the breakdown (a row without some of the dimensions). */
  totals?: StatRow[];
  /** The IANA zone whose calendar the periods are days, weeks, months of (STATS_TIMEZONE). */
  timeZone?: string;
}

/** GET /api/health: only what the UI reads. */
export interface Health {
  status: 'ok' | 'degraded' | 'down';
  /** True while the keys are not in memory: nothing but unsealing works. */
  sealed: boolean;
  custody: KeyCustody;
}

export type KeyCustody = 'file' | 'sealed';

/** GET and POST /api/unseal. */
export interface UnsealStatus {
  sealed: boolean;
  /** Shares entered so far towards the threshold. */
  progress: number;
  /** Shares needed (k); 0 where custody is not set up. */
  threshold: number;
  initialised: boolean;
  custody: KeyCustody;
}

/** POST /api/lockdown (202). */
export interface LockdownResponse {
  sealed: true;
}

/** The 400 and 409 codes of POST /api/unseal. */
export type UnsealErrorCode =
  | 'malformed_share'
  | 'foreign_share'
  | 'shares_do_not_match'
  | 'file_custody'
  | 'custody_not_initialised';

/** PUT /api/auth/duress (204): coordinators and admins only. */
export interface DuressPasswordRequest {
  /** The person's current password, proving it is them at the keyboard. */
  password: string;
  /** 12–256 characters, not the password itself; null removes it. */
  duressPassword: string | null;
}

/** The 400 and 403 codes of PUT /api/auth/duress, besides `validation_failed`. */
export type DuressErrorCode =
  'current_password_wrong' | 'duress_same_as_password' | 'duress_not_allowed';

/** What an entry of the referral directory is. */
export const REFERRAL_KINDS = [
  'lawyer',
  'doctor',
  'psychologist',
  'shelter',
  'safe_housing',
  'ngo',
  'other',
] as const;
export type ReferralKind = (typeof REFERRAL_KINDS)[number];

/** An entry's region: a federal subject, abroad, or nationwide (found from every region). */
export const NATIONWIDE = 'nationwide';

/** POST /api/referrals and PUT /api/referrals/:id (coordinators). */
export interface ReferralInput {
  region: string;
  kind: ReferralKind;
  name: string;
  contactDetails: string;
  address: string;
  notes: string;
}

/** An entry of the referral directory; each one handed out is an audited read. */
export interface Referral extends ReferralInput {
  id: string;
  status: 'active' | 'retired';
}

/** POST /api/referrals/search. */
export interface ReferralSearch {
  region?: string;
  kind?: ReferralKind;
  text?: string;
  includeRetired?: boolean;
}
