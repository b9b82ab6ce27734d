/**
 * The shapes of the Mayak HTTP API that the UI uses: named aliases over schema.d.ts, which
 * openapi-typescript generates from the API's OpenAPI document (`npm run api:types`; a test
 * fails when either is stale). Change a shape in the API's DTOs, never here. What is left
 * below besides aliases is the UI's own: constants it iterates over, and codes it translates.
 */
import type { components } from './schema';

type Schemas = components['schemas'];

/**
 * A request body whose codes the UI takes at run time from GET /api/vocabulary (and so holds as
 * strings): the document's code lists widened to string. The server still refuses an unknown
 * code (400).
 */
type WithCodesAsStrings<T> = T extends string
  ? string
  : T extends readonly (infer Item)[]
    ? WithCodesAsStrings<Item>[]
    : T extends object
      ? { [K in keyof T]: WithCodesAsStrings<T[K]> }
      : T;

export const ROLES = [
  'volunteer',
  'lawyer',
  'psychologist',
  'responder',
  'coordinator',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/* Sign-in, passkeys and enrolment. */
export type Me = Schemas['MeResponse'];
export type LoginResponse = Schemas['LoginResponse'];
/** GET /api/auth/passkeys: one of the person's own passkeys (never its key or id on the device). */
export type Passkey = Schemas['PasskeyResponse'];
/**
 * A WebAuthn ceremony begun by the server: the ticket goes back with the answer, the options
 * to the browser (@simplewebauthn/browser), typed by the step that asked for them.
 */
export type PasskeyCeremony<Options> = Omit<Schemas['PasskeyCeremonyResponse'], 'options'> & {
  options: Options;
};
export type EnrolResponse = Schemas['EnrolResponse'];
export type CodeEnrolResponse = Schemas['EnrolWithCodeResponse'];
/** PUT /api/auth/duress (204): coordinators and admins only. */
export type DuressPasswordRequest = Schemas['DuressPasswordRequest'];

/* Accounts and role grants. */
export type Account = Schemas['AccountResponse'];
/** An account just made, or given a new code: the code is shown this once. */
export type AccountWithEnrolment = Schemas['CreatedAccountResponse'];
export type PendingGrant = Schemas['PendingGrantResponse'];

/* Consent withdrawal. */
export type PendingWithdrawal = Schemas['PendingWithdrawalResponse'];
export type WithdrawalReceipt = Schemas['WithdrawalReceiptResponse'];

/* Intake. */
export type Vocabulary = Schemas['VocabularyResponse'];
export type Service = Schemas['MyContactResponse']['services'][number];
export type NewContact = WithCodesAsStrings<Schemas['CreateContactRequest']>;
/** POST /api/contacts/saved-under-key: what a save's Idempotency-Key stored, if anything. */
export type SavedUnderKey = Schemas['SavedUnderKeyResponse'];
export type ContactCreated = Schemas['IntakeReceiptResponse'];
/** Who an emergency's first page goes to, by role and tier. */
export type EmergencyPaged = NonNullable<ContactCreated['emergencyPaged']>;
export type MyContact = Schemas['MyContactResponse'];
/** A case its contact raised, as "my contacts today" lists it. */
export type ContactCase = Schemas['ContactCaseResponse'];
export type CallerLookup = Schemas['CallerLookupResponse'];
/** One earlier contact of a caller, as a volunteer on a later call sees it. */
export type EarlierContact = Schemas['EarlierContactResponse'];

/* Cases. */
export type CaseStatus = Schemas['CaseStatusResponse']['status'];
export type CaseStatusResponse = Schemas['CaseStatusResponse'];
export type CaseSearchScope = 'mine' | 'board';
export type CaseSortField = 'opened' | 'due' | 'priority';
/** A case in search results: the reader's list view (no topics on the board). */
export type CaseSearchItem = Schemas['CaseSearchItem'];
export type CaseSearchPage = Schemas['CaseSearchResponse'];
/** An earlier case of the same caller in the reader's service. */
export type EarlierCase = Schemas['EarlierCaseResponse'];
/** GET /api/cases?view=mine */
export type MyCase = Schemas['MyCaseResponse'];
/** GET /api/cases?view=pool: metadata only until someone claims it. */
export type PoolCase = Schemas['PoolCaseResponse'];
/** GET /api/cases?view=board (coordinators): metadata, never content. */
export type BoardCase = Schemas['BoardCaseResponse'];
/** GET /api/cases/:id, each part present only as far as the reader may see it. */
export type CaseDetail = Schemas['CaseDetailResponse'];
export type TimelineEntry = Schemas['TimelineEntryResponse'];
export type CaseNote = Schemas['CaseNoteResponse'];
export type CaseContact = Schemas['CaseContactResponse'];
export type FollowUp = Schemas['FollowUpResponse'];
export type Handover = Schemas['HandoverResponse'];
/** GET /api/cases/:id/colleagues */
export type Colleague = Schemas['ColleagueResponse'];
/** GET /api/handovers: cases offered to me, not answered yet. */
export type IncomingHandover = Schemas['IncomingHandoverResponse'];
/** GET /api/overdue-work (coordinators): metadata only. */
export type OverdueWork = Schemas['OverdueWorkResponse'];

/** The timeline's event types the UI has words for; another is shown by its code. */
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

/* Emergencies, notifications, staff and the rota. */
export type EmergencyEntry = Schemas['EmergencyEntryResponse'];
export type AppNotification = Schemas['NotificationResponse'];
export type NotificationType = AppNotification['type'];
export type Availability = Schemas['AvailabilityResponse'];
export type StaffMember = Schemas['StaffMemberResponse'];
export type Tier = Schemas['ShiftResponse']['tier'];
export type Shift = Schemas['ShiftResponse'];
/** A weekly shift, on the wall clock of `timeZone` (the helpline's zone). */
export type Recurrence = Schemas['RecurrenceResponse'];
/** Someone on call for a stretch: a one-off shift, or one occurrence of a recurring one. */
export type OnCall = Schemas['OnCallResponse'];
export type RotaView = Schemas['RotaViewResponse'];

/* Statistics. */
export const STAT_DIMENSIONS = [
  'channel',
  'region',
  'topic',
  'service',
  'outcome',
  'ageBand',
  'genderIdentity',
  'immediateRisk',
] as const satisfies readonly StatsResponse['groupBy'][number][];
export type StatDimension = (typeof STAT_DIMENSIONS)[number];
export type StatPeriod = StatsResponse['period'];
/** GET /api/stats */
export type StatsResponse = Schemas['StatsResponse'];
/**
 * One published count: a period, a value for each dimension it is broken down by, and the
 * count, or null when disclosure control withheld it (suppressed).
 */
export type StatRow = StatsResponse['rows'][number];

/* Key custody. */
/** GET /api/health: only what the UI reads. */
export type Health = Schemas['HealthResponse'];
export type KeyCustody = Health['custody'];
/** GET and POST /api/unseal. */
export type UnsealStatus = Schemas['UnsealStatusResponse'];
/** POST /api/lockdown (202). */
export type LockdownResponse = Schemas['LockdownResponse'];

/** The 400 and 409 codes of POST /api/unseal. */
export type UnsealErrorCode =
  | 'malformed_share'
  | 'foreign_share'
  | 'shares_do_not_match'
  | 'file_custody'
  | 'custody_not_initialised';

/** The 400 and 403 codes of PUT /api/auth/duress, besides `validation_failed`. */
export type DuressErrorCode =
  'current_password_wrong' | 'duress_same_as_password' | 'duress_not_allowed';

/* The referral directory. */
/** What an entry of the referral directory is. */
export const REFERRAL_KINDS = [
  'lawyer',
  'doctor',
  'psychologist',
  'shelter',
  'safe_housing',
  'ngo',
  'other',
] as const satisfies readonly Schemas['ReferralResponse']['kind'][];
export type ReferralKind = (typeof REFERRAL_KINDS)[number];

/** An entry's region: a federal subject, abroad, or nationwide (found from every region). */
export const NATIONWIDE = 'nationwide';

/** POST /api/referrals and PUT /api/referrals/:id (coordinators). */
export type ReferralInput = WithCodesAsStrings<Schemas['ReferralRequest']>;
/** An entry of the referral directory; each one handed out is an audited read. */
export type Referral = Schemas['ReferralResponse'];
/** POST /api/referrals/search. */
export type ReferralSearch = WithCodesAsStrings<Schemas['SearchReferralsRequest']>;
