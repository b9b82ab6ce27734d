import { BrowserRouter } from 'react-router';
import { useCustody } from '../custody/custody';
import { UnsealScreen } from '../custody/UnsealScreen';
import { useI18n } from '../i18n/i18n';
import { PasskeyRegistrationScreen } from '../screens/passkeys/PasskeyRegistrationScreen';
import { EnrolWithCodeScreen } from '../screens/sign-in/EnrolWithCodeScreen';
import { SignInScreen } from '../screens/sign-in/SignInScreen';
import { useSession } from '../session/session';
import { Shell } from './Shell';

/**
 * Signed out, every address shows the sign-in screen (and keeps the address, so signing in
 * lands where the person was going); signed in, the shell. Locking swaps the whole signed-in
 * tree for the sign-in screen in one render: nothing of it stays in the page. Sealed, the
 * unseal screen replaces both, in the same way, except under a screen that holds on to what
 * was typed (the intake form: see useHoldWhileSealed). A coordinator or admin signed in with a
 * code and no passkey yet sees only the passkey registration: the server allows nothing else.
 */
export function App() {
  const { t } = useI18n();
  const { state } = useSession();
  const custody = useCustody();
  const keepsScreen = state.status === 'signedIn' && custody.held;
  return (
    <BrowserRouter>
      {custody.sealed && !keepsScreen ? (
        <UnsealScreen />
      ) : state.status === 'loading' ? (
        <p className="loading" role="status">
          {t('app.loading')}
        </p>
      ) : state.status === 'signedOut' && window.location.pathname === '/enrol' ? (
        <EnrolWithCodeScreen />
      ) : state.status === 'signedOut' ? (
        <SignInScreen
          key={state.reason ?? 'none'}
          reason={state.reason}
          username={state.username}
          idleMinutes={state.idleMinutes}
        />
      ) : state.me.passkeyRegistrationRequired ? (
        <PasskeyRegistrationScreen />
      ) : (
        <Shell key={state.me.id} idleMs={state.idleMs} />
      )}
    </BrowserRouter>
  );
}
