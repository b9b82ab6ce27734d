import { DomainException } from '@mayak/platform';

export enum EmergencyError {
  AlreadyAcknowledged = 'already_acknowledged',
  CaseClosed = 'case_closed',
  /** The person cannot hold this rota tier (tiers 1–2 are responders, tier 3 coordinators). */
  WrongTierRole = 'wrong_tier_role',
  ShiftNotFound = 'shift_not_found',
}

const MESSAGES: Record<EmergencyError, string> = {
  [EmergencyError.AlreadyAcknowledged]: 'Someone has already acknowledged this emergency.',
  [EmergencyError.CaseClosed]: 'The case is closed.',
  [EmergencyError.WrongTierRole]: 'Tiers 1 and 2 are for responders, tier 3 for coordinators.',
  [EmergencyError.ShiftNotFound]: 'No such shift.',
};

export class EmergencyException extends DomainException<EmergencyError> {
  constructor(code: EmergencyError) {
    super(
      code,
      MESSAGES[code],
      code === EmergencyError.WrongTierRole ? { userId: [MESSAGES[code]] } : undefined,
    );
  }
}
