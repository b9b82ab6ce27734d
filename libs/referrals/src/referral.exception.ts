import { DomainException } from '@mayak/platform';

export enum ReferralError {
  /** An entry's sealed details did not open: tampering or corruption. */
  RecordUnreadable = 'record_unreadable',
}

export class ReferralException extends DomainException<ReferralError> {
  constructor(code: ReferralError) {
    super(code, 'A directory entry could not be read.');
  }
}
