import { DomainException } from '@mayak/platform';

export enum AccessError {
  /** For an action on no particular record: the role may not do it. */
  Forbidden = 'forbidden',
  /** For a record: it does not exist, or the actor may not know that it does. */
  NotFound = 'not_found',
}

export class AccessException extends DomainException<AccessError> {
  constructor(code: AccessError) {
    super(code, code === AccessError.Forbidden ? 'Your role does not allow this.' : 'Not found.');
  }
}
