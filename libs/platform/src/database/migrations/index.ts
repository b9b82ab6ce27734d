import { Foundation1763700000000 } from './1763700000000-foundation';
import { CorePath1763800000000 } from './1763800000000-core-path';
import { Emergencies1763900000000 } from './1763900000000-emergencies';
import { Statistics1764000000000 } from './1764000000000-statistics';
import { AuditChainHmac1764100000000 } from './1764100000000-audit-chain-hmac';
import { KeyCustody1764300000000 } from './1764300000000-key-custody';
import { KeyRotation1764400000000 } from './1764400000000-key-rotation';
import { RetentionDeletes1764500000000 } from './1764500000000-retention-deletes';
import { StaffProtection1764600000000 } from './1764600000000-staff-protection';
import { CaseTimeSealing1764700000000 } from './1764700000000-case-time-sealing';
import { CoarseIntakeTimes1764800000000 } from './1764800000000-coarse-intake-times';
import { SealedStatistics1764900000000 } from './1764900000000-sealed-statistics';
import { SealedContacts1765000000000 } from './1765000000000-sealed-contacts';
import { SealedIntakeReceipts1765100000000 } from './1765100000000-sealed-intake-receipts';
import { CaseAttributesSealed1765200000000 } from './1765200000000-case-attributes-sealed';
import { OpenWorkTimes1765300000000 } from './1765300000000-open-work-times';
import { RowRestamps1765350000000 } from './1765350000000-row-restamps';
import { SealedOutbox1765400000000 } from './1765400000000-sealed-outbox';
import { StaffCounters1765600000000 } from './1765600000000-staff-counters';
import { SignInThrottle1765700000000 } from './1765700000000-sign-in-throttle';
import { PendingWithdrawals1765800000000 } from './1765800000000-pending-withdrawals';
import { RoleGrants1765900000000 } from './1765900000000-role-grants';
import { TwoPersonGrants1766000000000 } from './1766000000000-two-person-grants';
import { AuditSealedTimes1765500000000 } from './1765500000000-audit-sealed-times';
import { WeekTimes1766100000000 } from './1766100000000-week-times';
import { SessionReauth1766200000000 } from './1766200000000-session-reauth';
import { Passkeys1766300000000 } from './1766300000000-passkeys';
import { FollowUpsHandovers1766500000000 } from './1766500000000-follow-ups-handovers';
import { RecurringRota1766700000000 } from './1766700000000-recurring-rota';
import { StatsNewContacts1766800000000 } from './1766800000000-stats-new-contacts';
import { LeanContactIndexes1766870000000 } from './1766870000000-lean-contact-indexes';
import { LeanOutboxIndexes1766900000000 } from './1766900000000-lean-outbox-indexes';
import { WebhookDeliveryLease1766910000000 } from './1766910000000-webhook-delivery-lease';
import { IntakeConflict1766920000000 } from './1766920000000-intake-conflict';
import { LeanAuditLink1767000000000 } from './1767000000000-lean-audit-link';
import { AuditLinks1767200000000 } from './1767200000000-audit-links';
import { ReferralDirectory1766400000000 } from './1766400000000-referral-directory';

/** Every migration, oldest first. A new schema change is a new file added at the end. */
export const MIGRATIONS = [
  Foundation1763700000000,
  CorePath1763800000000,
  Emergencies1763900000000,
  Statistics1764000000000,
  AuditChainHmac1764100000000,
  KeyCustody1764300000000,
  KeyRotation1764400000000,
  RetentionDeletes1764500000000,
  StaffProtection1764600000000,
  CaseTimeSealing1764700000000,
  CoarseIntakeTimes1764800000000,
  SealedStatistics1764900000000,
  SealedContacts1765000000000,
  SealedIntakeReceipts1765100000000,
  CaseAttributesSealed1765200000000,
  OpenWorkTimes1765300000000,
  RowRestamps1765350000000,
  SealedOutbox1765400000000,
  AuditSealedTimes1765500000000,
  StaffCounters1765600000000,
  SignInThrottle1765700000000,
  PendingWithdrawals1765800000000,
  RoleGrants1765900000000,
  TwoPersonGrants1766000000000,
  WeekTimes1766100000000,
  SessionReauth1766200000000,
  Passkeys1766300000000,
  ReferralDirectory1766400000000,
  FollowUpsHandovers1766500000000,
  RecurringRota1766700000000,
  StatsNewContacts1766800000000,
  LeanContactIndexes1766870000000,
  LeanOutboxIndexes1766900000000,
  WebhookDeliveryLease1766910000000,
  IntakeConflict1766920000000,
  LeanAuditLink1767000000000,
  AuditLinks1767200000000,
];
