import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { ReactNode } from 'react';
import { api, ApiError, CSRF_COOKIE, csrfToken, onUnauthenticated, serverNow } from '../api/client';
import type { LoginResponse, Me } from '../api/types';
import { useCustody } from '../custody/custody';
import { assertWithPasskey } from './webauthn';
import { wipeDrafts } from './draft-vault';
import { forgetHeld } from './held-draft';

export type SignedOutReason =
  | 'expired'
  | 'idle'
  | 'locked'
  | 'signedOut'
  | 'sealed'
  /** A code-only session registered the first passkey: sign in again with it. */
  | 'passkeyRegistered';

export type SessionState =
  | { status: 'loading' }
  | { status: 'signedOut'; reason?: SignedOutReason; username?: string; idleMinutes?: number }
  | { status: 'signedIn'; me: Me; idleMs: number };

export interface Session {
  state: SessionState;
  signIn: (username: string, password: string, totp: string) => Promise<void>;
  /**
   * Name and password, then the browser's passkey. A PasskeyCeremonyError if the browser gave
   * none (cancelled, no key); an ApiError as from signIn otherwise.
   */
  signInWithPasskey: (username: string, password: string) => Promise<void>;
  signOut: (reason?: 'signedOut' | 'idle' | 'passkeyRegistered') => void;
  /** Hides everything at once and ends the session; unlocking is a fresh sign-in. */
  lock: () => void;
  /** Tells the server the person is still there (the server's idle timer restarts). */
  keepAlive: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

/** The client gives up a little before the server would, so the person hears it from us. */
const IDLE_MARGIN_MS = 15_000;
const DEFAULT_IDLE_MS = 30 * 60_000;

function idleLength(me: Me): number {
  const left = new Date(me.idleExpiresAt).getTime() - serverNow();
  // idleExpiresAt is "last seen + idle timeout", and we were seen just now: round to the minute.
  const minutes = Math.round(left / 60_000);
  return minutes >= 1 ? minutes * 60_000 - IDLE_MARGIN_MS : DEFAULT_IDLE_MS - IDLE_MARGIN_MS;
}

function forgetCsrfCookie(): void {
  document.cookie = `${CSRF_COOKIE}=; Max-Age=0; Path=/; SameSite=Strict`;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const stateRef = useRef(state);
  useLayoutEffect(() => {
    stateRef.current = state;
  });
  const pendingLogout = useRef<Promise<unknown> | null>(null);
  const { sealed, held } = useCustody();

  useEffect(() => {
    const controller = new AbortController();
    const hadSession = csrfToken() !== undefined;
    api
      .get<Me>('/api/auth/me', { signal: controller.signal })
      .then((me) => setState({ status: 'signedIn', me, idleMs: idleLength(me) }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        if (hadSession) forgetCsrfCookie();
        setState(
          error instanceof ApiError && error.code === 'sealed'
            ? { status: 'signedOut', reason: 'sealed' }
            : error instanceof ApiError && error.status === 401 && hadSession
              ? { status: 'signedOut', reason: 'expired' }
              : { status: 'signedOut' },
        );
      });
    return () => controller.abort();
  }, []);

  useEffect(
    () =>
      onUnauthenticated(() => {
        const current = stateRef.current;
        if (current.status !== 'signedIn') return;
        forgetCsrfCookie();
        wipeDrafts();
        setState({ status: 'signedOut', reason: 'expired', username: current.me.username });
      }),
    [],
  );

  // Sealing ends every session on the server (a lockdown deletes them; a restart's keys are
  // gone). Here it ends at once too, unless the screen holds something that must stay: then
  // the session ends when the hold does, or with the next request's 401.
  useEffect(() => {
    if (!sealed || held) return;
    const current = stateRef.current;
    if (current.status === 'loading') return;
    if (current.status === 'signedOut' && current.reason === 'sealed') return;
    if (current.status === 'signedIn') forgetCsrfCookie();
    const username = current.status === 'signedIn' ? current.me.username : current.username;
    setState({ status: 'signedOut', reason: 'sealed', ...(username ? { username } : {}) });
  }, [sealed, held, state.status]);

  const endSession = useCallback(() => {
    pendingLogout.current = api.post('/api/auth/logout').catch(() => undefined);
  }, []);

  const signIn = useCallback(async (username: string, password: string, totp: string) => {
    // A logout still in flight must not clear the cookie this sign-in is about to set.
    await pendingLogout.current;
    wipeDrafts();
    await api.post<LoginResponse>('/api/auth/login', { username, password, totp });
    const me = await api.get<Me>('/api/auth/me');
    setState({ status: 'signedIn', me, idleMs: idleLength(me) });
  }, []);

  const signInWithPasskey = useCallback(async (username: string, password: string) => {
    await pendingLogout.current;
    wipeDrafts();
    // Step one answers alike whatever is wrong; a wrong password fails at step two.
    const assertion = await assertWithPasskey('/api/auth/passkey/options', { username, password });
    await api.post<LoginResponse>('/api/auth/passkey/login', assertion);
    const me = await api.get<Me>('/api/auth/me');
    setState({ status: 'signedIn', me, idleMs: idleLength(me) });
  }, []);

  const signOut = useCallback(
    (reason: 'signedOut' | 'idle' | 'passkeyRegistered' = 'signedOut') => {
      const current = stateRef.current;
      if (current.status !== 'signedIn') return;
      forgetHeld();
      wipeDrafts();
      endSession();
      setState({
        status: 'signedOut',
        reason,
        username: current.me.username,
        idleMinutes: Math.round((current.idleMs + IDLE_MARGIN_MS) / 60_000),
      });
    },
    [endSession],
  );

  const lock = useCallback(() => {
    const current = stateRef.current;
    if (current.status !== 'signedIn') return;
    // Hide first (this render replaces the whole signed-in tree), then end the session.
    forgetHeld();
    wipeDrafts();
    setState({ status: 'signedOut', reason: 'locked', username: current.me.username });
    endSession();
  }, [endSession]);

  const keepAlive = useCallback(async () => {
    const me = await api.get<Me>('/api/auth/me');
    setState((current) => (current.status === 'signedIn' ? { ...current, me } : current));
  }, []);

  const value = useMemo<Session>(
    () => ({ state, signIn, signInWithPasskey, signOut, lock, keepAlive }),
    [state, signIn, signInWithPasskey, signOut, lock, keepAlive],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in person; only for components under the signed-in shell. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signedIn') throw new Error('useMe while not signed in');
  return state.me;
}
