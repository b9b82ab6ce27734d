import { DomainException } from '@mayak/platform';

export enum CustodyError {
  NotInitialised = 'custody_not_initialised',
  AlreadyInitialised = 'custody_already_initialised',
  FileCustody = 'file_custody',
  MalformedShare = 'malformed_share',
  ForeignShare = 'foreign_share',
  CheckFailed = 'shares_do_not_match',
  BadParameters = 'bad_parameters',
  TamperedRecord = 'custody_record_tampered',
}

const MESSAGES: Record<CustodyError, string> = {
  [CustodyError.NotInitialised]:
    'Key custody is not set up yet: run `npm run cli -- custody init --holders N --threshold K`.',
  [CustodyError.AlreadyInitialised]:
    'Key custody is already set up; a second root secret would orphan every encrypted record.',
  [CustodyError.FileCustody]:
    'This installation keeps its keys in files (KEY_CUSTODY=file): shares and unsealing need KEY_CUSTODY=sealed (after a lockdown, restart it).',
  [CustodyError.MalformedShare]:
    'That is not a key share (or it was mistyped: its checksum does not match).',
  [CustodyError.ForeignShare]: 'That share belongs to another installation or an older setup.',
  [CustodyError.CheckFailed]:
    'These shares do not rebuild this installation’s root secret. The shares entered so far were discarded; start again.',
  [CustodyError.TamperedRecord]:
    'The key custody record in the database was not written by this installation (its pin does not match the node credential). Refusing to unseal with it.',
  [CustodyError.BadParameters]:
    'The threshold must be at least 2 and at most the number of holders (at most 255).',
};

export class CustodyException extends DomainException<CustodyError> {
  constructor(code: CustodyError) {
    super(code, MESSAGES[code]);
  }
}
