import { DomainException } from '@mayak/platform';

export enum StaffingError {
  /** Availability is for people who take cases: lawyers, psychologists, responders. */
  NotCaseStaff = 'not_case_staff',
}

export class StaffingException extends DomainException<StaffingError> {
  constructor(code: StaffingError) {
    super(code, 'Only lawyers, psychologists and responders have availability.');
  }
}
