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
};

export class CaseException extends DomainException<CaseError> {
  constructor(code: CaseError) {
    super(code, MESSAGES[code]);
  }
}
