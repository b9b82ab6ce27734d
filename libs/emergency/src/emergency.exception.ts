import { DomainException } from '@mayak/platform';

export enum EmergencyError {
  AlreadyAcknowledged = 'already_acknowledged',
  CaseClosed = 'case_closed',
  /** The person cannot hold this rota tier (tiers 1–2 are responders, tier 3 coordinators). */
  WrongTierRole = 'wrong_tier_role',
  ShiftNotFound = 'shift_not_found',
  RecurrenceNotFound = 'recurrence_not_found',
  /** The date is not one on which the recurring shift occurs (weekday, first or last date). */
  NotAnOccurrence = 'not_an_occurrence',
  /** A replacement starts more than a day away from the occurrence it replaces. */
  ReplacementTooFar = 'replacement_too_far',
}

const MESSAGES: Record<EmergencyError, string> = {
  [EmergencyError.AlreadyAcknowledged]: 'Someone has already acknowledged this emergency.',
  [EmergencyError.CaseClosed]: 'The case is closed.',
  [EmergencyError.WrongTierRole]: 'Tiers 1 and 2 are for responders, tier 3 for coordinators.',
  [EmergencyError.ShiftNotFound]: 'No such shift.',
  [EmergencyError.RecurrenceNotFound]: 'No such recurring shift.',
  [EmergencyError.NotAnOccurrence]: 'The recurring shift does not occur on that date.',
  [EmergencyError.ReplacementTooFar]:
    'A replacement must start within a day of the occurrence it replaces.',
};

/** The request field each error is about, for the 400 body's field messages. */
const FIELDS: Partial<Record<EmergencyError, string>> = {
  [EmergencyError.WrongTierRole]: 'userId',
  [EmergencyError.NotAnOccurrence]: 'occursOn',
  [EmergencyError.ReplacementTooFar]: 'startsAt',
};

export class EmergencyException extends DomainException<EmergencyError> {
  constructor(code: EmergencyError) {
    super(code, MESSAGES[code], FIELDS[code] ? { [FIELDS[code]]: [MESSAGES[code]] } : undefined);
  }
}
