import { DomainException } from '@mayak/platform';

export enum ContactsError {
  /** A stored ciphertext or data key did not open: tampering or corruption, not user error. */
  RecordUnreadable = 'record_unreadable',
}

export class ContactsException extends DomainException<ContactsError> {
  constructor(code: ContactsError) {
    super(code, 'This record cannot be read; the incident has been recorded.');
  }
}
