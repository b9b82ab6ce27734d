import { DomainException } from '@mayak/platform';

export enum CaseError {
  /** The case is not in a state that allows this (closing a closed case, say). */
  InvalidState = 'invalid_state',
  /** The new assignee cannot take cases of this service. */
  InvalidAssignee = 'invalid_assignee',
  /** Nobody reassigns a case to themselves. */
  SelfAssignment = 'self_assignment',
  /** The target's roles are fresh, and the reassigner granted them: another coordinator must. */
  GranterAssignment = 'granter_assignment',
  /** A ciphertext did not open: tampering or corruption. */
  RecordUnreadable = 'record_unreadable',
  /** The person declined as many cases today as a day allows: no more claims today. */
  TooManyDeclines = 'too_many_declines',
  /** A follow-up is a call back: the caller did not agree to be contacted back. */
  NoContactBack = 'no_contact_back',
  /** A follow-up's date is in the past, or too far ahead. */
  InvalidFollowUpDate = 'invalid_follow_up_date',
  /** The follow-up is done or cancelled already, or not this case's. */
  FollowUpClosed = 'follow_up_closed',
  /** The case is already offered to a colleague: that offer must be answered first. */
  HandoverPending = 'handover_pending',
  /** A handover goes to a colleague of the same service, never to oneself. */
  InvalidColleague = 'invalid_colleague',
}

const MESSAGES: Record<CaseError, string> = {
  [CaseError.InvalidState]: 'The case is not in a state that allows this.',
  [CaseError.InvalidAssignee]: 'That person cannot take cases of this service.',
  [CaseError.SelfAssignment]:
    'Nobody may reassign a case to themselves; another coordinator can assign it to you.',
  [CaseError.GranterAssignment]:
    'You granted this person their role recently; another coordinator must assign them cases for now.',
  [CaseError.RecordUnreadable]: 'This record cannot be read; the incident has been recorded.',
  [CaseError.TooManyDeclines]:
    'You have declined as many cases today as a day allows, so you cannot claim more from the pool today; a coordinator can still assign you cases.',
  [CaseError.NoContactBack]:
    'The caller did not agree to be contacted back, so no follow-up call can be planned.',
  [CaseError.InvalidFollowUpDate]: 'A follow-up date must be today or later, within a year.',
  [CaseError.FollowUpClosed]: 'This follow-up is already done or cancelled.',
  [CaseError.HandoverPending]:
    'This case is already offered to a colleague; wait for their answer.',
  [CaseError.InvalidColleague]:
    'A case can be handed over only to another colleague of the same service.',
};

export class CaseException extends DomainException<CaseError> {
  constructor(code: CaseError) {
    super(code, MESSAGES[code]);
  }
}
