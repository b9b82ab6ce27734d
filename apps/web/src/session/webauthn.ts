import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import { api, ApiError } from '../api/client';
import { errorMessage } from '../api/error-message';
import type { Passkey, PasskeyCeremony } from '../api/types';
import type { I18n } from '../i18n/i18n';

/**
 * Why the browser answered no passkey. Browsers say little on purpose (a page must not learn
 * which keys exist), so NotAllowedError covers a cancelled prompt, a timeout and "no key for
 * this site" alike.
 */
export type CeremonyProblem =
  'unsupported' | 'cancelled' | 'alreadyRegistered' | 'insecure' | 'failed';

export class PasskeyCeremonyError extends Error {
  constructor(readonly problem: CeremonyProblem) {
    super(problem);
    this.name = 'PasskeyCeremonyError';
  }
}

function problemOf(error: unknown): CeremonyProblem {
  switch (error instanceof Error ? error.name : '') {
    case 'NotAllowedError':
    case 'AbortError':
      return 'cancelled';
    // Registration only: the authenticator already holds a passkey of this account.
    case 'InvalidStateError':
      return 'alreadyRegistered';
    // Not a secure context, or a page on another address than the one passkeys belong to.
    case 'SecurityError':
      return 'insecure';
    default:
      return 'failed';
  }
}

/** Runs the browser's part of a ceremony; what goes wrong there becomes a PasskeyCeremonyError. */
async function inBrowser<T>(ceremony: () => Promise<T>): Promise<T> {
  if (!browserSupportsWebAuthn()) throw new PasskeyCeremonyError('unsupported');
  try {
    return await ceremony();
  } catch (error) {
    throw new PasskeyCeremonyError(problemOf(error));
  }
}

/** A signed answer to the server's challenge: what the passkey routes take as `credential`. */
export interface PasskeyAssertion {
  ticket: string;
  credential: AuthenticationResponseJSON;
}

/** Asks the browser to sign the challenge of a ceremony the server began at `path`. */
export async function assertWithPasskey(path: string, body?: unknown): Promise<PasskeyAssertion> {
  const { ticket, options } = await api.post<
    PasskeyCeremony<PublicKeyCredentialRequestOptionsJSON>
  >(path, body);
  const credential = await inBrowser(() => startAuthentication({ optionsJSON: options }));
  return { ticket, credential };
}

/**
 * Registers a new passkey of the signed-in person under `name`: the server's options, the
 * browser's new credential, the server's check. Another passkey than the first may first ask
 * for a re-authentication (the API client brings up the prompt and tries again).
 */
export async function registerPasskey(name: string): Promise<Passkey> {
  const { ticket, options } = await api.post<
    PasskeyCeremony<PublicKeyCredentialCreationOptionsJSON>
  >('/api/auth/passkeys/options');
  const credential: RegistrationResponseJSON = await inBrowser(() =>
    startRegistration({ optionsJSON: options }),
  );
  return api.post<Passkey>('/api/auth/passkeys', { ticket, name, credential });
}

/** The server's bound on a passkey's name (RegisterPasskeyRequest); it stays the authority. */
export const PASSKEY_NAME_MAX = 60;

/** What to tell a person when a passkey step failed, in their language. */
export function passkeyErrorMessage(t: I18n['t'], error: unknown): string {
  if (error instanceof PasskeyCeremonyError) {
    switch (error.problem) {
      case 'unsupported':
        return t('passkey.error.unsupported');
      case 'cancelled':
        return t('passkey.error.cancelled');
      case 'alreadyRegistered':
        return t('passkey.error.alreadyRegistered');
      case 'insecure':
        return t('passkey.error.insecure');
      case 'failed':
        return t('passkey.error.failed');
    }
  }
  if (error instanceof ApiError && error.code === 'passkey_invalid')
    return t('passkey.error.invalid');
  if (error instanceof ApiError && error.code === 'last_passkey') return t('passkeys.error.last');
  if (error instanceof ApiError && error.code === 'passkey_registration_required')
    return t('passkeys.error.signInWithPasskey');
  return errorMessage(t, error);
}
