import { DomainException } from '@mayak/platform';

export enum BackupError {
  AgeMissing = 'age_missing',
  AgeFailed = 'age_failed',
  NoRecipients = 'no_recipients',
  OutputExists = 'output_exists',
  WrongIdentity = 'wrong_identity',
  NotABackup = 'not_a_backup',
  TargetNotEmpty = 'target_not_empty',
  SchemaMismatch = 'schema_mismatch',
  NeedsOwner = 'needs_owner',
  KeystoreMissing = 'keystore_missing',
}

/** Backup and restore failures; messages name tables and files, never row contents. */
export class BackupException extends DomainException<BackupError> {
  constructor(code: BackupError, message: string) {
    super(code, message);
  }
}
