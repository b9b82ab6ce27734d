import { DomainException } from '@mayak/platform';

export enum IdentityError {
  /** Unknown user, wrong password, wrong or reused code, or disabled: all the same. */
  InvalidCredentials = 'invalid_credentials',
  TotpEnrolmentRequired = 'totp_enrolment_required',
  AlreadyEnrolled = 'totp_already_enrolled',
  Unauthenticated = 'unauthenticated',
  UsernameTaken = 'username_taken',
  UserNotFound = 'user_not_found',
  CannotChangeOwnAccount = 'cannot_change_own_account',
  DuressNotAllowed = 'duress_not_allowed',
  DuressSameAsPassword = 'duress_same_as_password',
  CurrentPasswordWrong = 'current_password_wrong',
  /** A new password must differ from the one it replaces (and from the duress password). */
  PasswordUnchanged = 'password_unchanged',
  /** This address failed too often for this name: it waits (growing delays, SignInThrottle). */
  SignInThrottled = 'sign_in_throttled',
  /** Unknown, used, superseded or expired: all the same (no account can be probed with it). */
  EnrolmentCodeInvalid = 'enrolment_code_invalid',
  /**
   * Re-authentication with a wrong password or code: 403, not 401, since the session lives
   * on (a 401 means it is gone).
   */
  ReauthenticationFailed = 'reauthentication_failed',
  /** A passkey change (another passkey, removing one) needs a recent re-authentication. */
  ReauthenticationRequired = 'reauthentication_required',
  /** This account's role signs in with a passkey, not a code (after the code was right). */
  PasskeyRequired = 'passkey_required',
  /** A session of a passkey role signed in with a code: it may only register a passkey. */
  PasskeyRegistrationRequired = 'passkey_registration_required',
  /** A registration that did not verify, or its ticket was unknown, used or expired. */
  PasskeyInvalid = 'passkey_invalid',
  PasskeyNotFound = 'passkey_not_found',
  /** The last passkey of a role that needs one cannot be removed. */
  LastPasskey = 'last_passkey',
}

const MESSAGES: Record<IdentityError, string> = {
  [IdentityError.InvalidCredentials]: 'The username, password or code is not right.',
  [IdentityError.TotpEnrolmentRequired]: 'Set up a second factor first: POST /api/auth/totp/enrol.',
  [IdentityError.AlreadyEnrolled]: 'A second factor is already set up for this account.',
  [IdentityError.Unauthenticated]: 'Sign in first.',
  [IdentityError.UsernameTaken]: 'That username is taken.',
  [IdentityError.UserNotFound]: 'No such user.',
  [IdentityError.CannotChangeOwnAccount]: 'Ask another administrator to change your own account.',
  [IdentityError.DuressNotAllowed]:
    'Only coordinators and admins, who may lock Mayak down, can have a duress password.',
  [IdentityError.DuressSameAsPassword]: 'The duress password must differ from your password.',
  [IdentityError.CurrentPasswordWrong]: 'Your current password is not right.',
  [IdentityError.PasswordUnchanged]:
    'The new password must differ from your current password and from your duress password.',
  [IdentityError.SignInThrottled]: 'Too many failed sign-ins from this address; try again later.',
  [IdentityError.EnrolmentCodeInvalid]:
    'This enrolment code is not valid: it may have expired or been used. Ask an administrator for a new one.',
  [IdentityError.ReauthenticationFailed]:
    'The password or code is not right (a code works only once). You are still signed in.',
  [IdentityError.ReauthenticationRequired]:
    'Confirm it is you first: POST /api/auth/reauthenticate with your password and passkey.',
  [IdentityError.PasskeyRequired]:
    'Your role signs in with a passkey, not a code: use "Sign in with a passkey".',
  [IdentityError.PasskeyRegistrationRequired]:
    'Your role needs a passkey: register one (POST /api/auth/passkeys/options) before anything else.',
  [IdentityError.PasskeyInvalid]:
    'The passkey could not be verified, or the attempt expired. Try again.',
  [IdentityError.PasskeyNotFound]: 'No such passkey.',
  [IdentityError.LastPasskey]:
    'Your role needs a passkey: add another before removing the last one.',
};

export class IdentityException extends DomainException<IdentityError> {
  constructor(code: IdentityError, message: string = MESSAGES[code]) {
    super(code, message);
  }
}
