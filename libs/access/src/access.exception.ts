import { DomainException } from '@mayak/platform';

export enum AccessError {
  /** For an action on no particular record: the role may not do it. */
  Forbidden = 'forbidden',
  /** For a record: it does not exist, or the actor may not know that it does. */
  NotFound = 'not_found',
  /**
   * The action needs the password and a code proved within REAUTH_WINDOW_MINUTES (role
   * grants, exports, break-glass; issue 12.4): POST /api/auth/reauthenticate, then again.
   */
  ReauthenticationRequired = 'reauthentication_required',
}

const MESSAGES: Record<AccessError, string> = {
  [AccessError.Forbidden]: 'Your role does not allow this.',
  [AccessError.NotFound]: 'Not found.',
  [AccessError.ReauthenticationRequired]:
    'Confirm it is you: enter your password and a code from your authenticator (POST /api/auth/reauthenticate), then try again.',
};

export class AccessException extends DomainException<AccessError> {
  constructor(code: AccessError) {
    super(code, MESSAGES[code]);
  }
}
