import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { DuressPasswordControl } from '../custody/DuressPasswordControl';
import { LockdownControl } from '../custody/LockdownControl';
import { useI18n, type MessageKey } from '../i18n/i18n';
import { NotificationBell } from '../notifications/NotificationBell';
import { NotificationsProvider, receivesNotifications } from '../notifications/notifications';
import { IdleMonitor } from '../session/IdleMonitor';
import { ReauthPrompt } from '../session/ReauthPrompt';
import { ChangePasswordControl } from '../session/ChangePasswordControl';
import { useMe, useSession } from '../session/session';
import { HomeScreen } from '../screens/home/HomeScreen';
import { mayOpen, SCREENS, type ScreenDefinition } from './screens';

/** Ctrl+Shift+L (⌘⇧L on a Mac), by physical key, so it works in the Russian layout too. */
function isLockShortcut(event: KeyboardEvent): boolean {
  return (event.ctrlKey || event.metaKey) && event.shiftKey && event.code === 'KeyL';
}

function Page({ title, children }: { title: MessageKey; children: ReactNode }) {
  const { t } = useI18n();
  const location = useLocation();
  useEffect(() => {
    document.title = `${t(title)} — ${t('app.titleSuffix')}`;
  }, [t, title]);
  // After a navigation, start where the new page starts: its chosen first field, or its heading.
  useEffect(() => {
    const main = document.getElementById('main');
    const target =
      main?.querySelector<HTMLElement>('[data-autofocus]') ??
      main?.querySelector<HTMLElement>('h1');
    target?.focus();
  }, [location.pathname]);
  return <>{children}</>;
}

function Forbidden() {
  const { t } = useI18n();
  return (
    <section>
      <h1 tabIndex={-1}>{t('forbidden.title')}</h1>
      <p>{t('forbidden.text')}</p>
    </section>
  );
}

function NotFound() {
  const { t } = useI18n();
  return (
    <section>
      <h1 tabIndex={-1}>{t('notFound.title')}</h1>
      <p>
        <NavLink to="/">{t('notFound.back')}</NavLink>
      </p>
    </section>
  );
}

function Guarded({ screen }: { screen: ScreenDefinition }) {
  const me = useMe();
  if (!mayOpen(screen, me.roles))
    return (
      <Page title="forbidden.title">
        <Forbidden />
      </Page>
    );
  return (
    <Page title={screen.title}>
      <screen.Component />
    </Page>
  );
}

/** The signed-in application: header, navigation by role, the screens, the idle watch. */
export function Shell({ idleMs }: { idleMs: number }) {
  const { t } = useI18n();
  const me = useMe();
  const { lock, signOut } = useSession();
  const mine = SCREENS.filter((screen) => mayOpen(screen, me.roles));
  const inNavigation = mine.filter((screen) => !screen.hidden);
  const notified = receivesNotifications(me.roles);
  const mayLockDown = me.roles.some((role) => role === 'coordinator' || role === 'admin');
  const location = useLocation();
  // Open on the screen it was opened on: choosing another screen closes it (and the new page
  // takes the focus itself, see Page).
  const [menuOpenOn, setMenuOpenOn] = useState<string | null>(null);
  const menuOpen = menuOpenOn === location.pathname;
  const setMenuOpen = (open: boolean) => setMenuOpenOn(open ? location.pathname : null);
  const menuButton = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  // Opened: the focus goes to its first entry, so a keyboard or screen reader lands inside.
  useEffect(() => {
    if (menuOpen) menu.current?.querySelector<HTMLElement>('a, button')?.focus();
  }, [menuOpen]);
  // Escape folds it again and gives the focus back to the button; a dialog opened from the
  // menu (lockdown) handles its own Escape.
  useEffect(() => {
    if (!menuOpen) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      if (event.target instanceof Element && event.target.closest('dialog')) return;
      setMenuOpenOn(null);
      menuButton.current?.focus();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [menuOpen]);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!isLockShortcut(event)) return;
      event.preventDefault();
      event.stopPropagation();
      lock();
    };
    window.addEventListener('keydown', onKeyDown, { capture: true });
    return () => window.removeEventListener('keydown', onKeyDown, { capture: true });
  }, [lock]);

  return (
    <NotificationsProvider enabled={notified} userId={me.id}>
      <div className="shell">
        <a className="skip-link" href="#main">
          {t('app.skipToContent')}
        </a>
        <header className="topbar">
          <NavLink to="/" className="brand">
            <img src="/favicon.svg" alt="" width="24" height="24" />
            <span>{t('app.name')}</span>
          </NavLink>
          {/* On a phone the navigation and the tools fold behind this button (CSS decides). */}
          <button
            ref={menuButton}
            type="button"
            className="topbar__menu-button"
            aria-expanded={menuOpen}
            aria-controls="topbar-menu"
            onClick={() => setMenuOpen(!menuOpen)}
          >
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
              <path d="M3 6h18v2H3zm0 5h18v2H3zm0 5h18v2H3z" fill="currentColor" />
            </svg>
            {t('header.menu')}
          </button>
          <div
            id="topbar-menu"
            ref={menu}
            className={menuOpen ? 'topbar__menu topbar__menu--open' : 'topbar__menu'}
          >
            <nav aria-label={t('nav.label')} className="topbar__nav">
              <ul>
                {inNavigation.map((screen) => (
                  <li key={screen.path}>
                    <NavLink to={screen.path}>{t(screen.title)}</NavLink>
                  </li>
                ))}
              </ul>
            </nav>
            <div className="topbar__tools">
              {notified ? <NotificationBell /> : null}
              {mayLockDown ? (
                <DuressPasswordControl />
              ) : (
                <span
                  className="topbar__user"
                  title={t('header.signedInAs', { username: me.username })}
                >
                  <span className="visually-hidden">{t('header.signedInAsLabel')} </span>
                  {me.username}
                </span>
              )}
              <NavLink to="/passkeys" className="topbar__link">
                {t('nav.passkeys')}
              </NavLink>
              <ChangePasswordControl />
              <LanguageSwitch />
              <button
                type="button"
                className="button button--lock"
                title={t('header.lockHint')}
                aria-keyshortcuts="Control+Shift+L"
                onClick={lock}
              >
                {t('header.lock')}
              </button>
              <button type="button" className="button button--secondary" onClick={() => signOut()}>
                {t('header.signOut')}
              </button>
              {mayLockDown ? <LockdownControl /> : null}
            </div>
          </div>
        </header>
        <IdleMonitor idleMs={idleMs} />
        <ReauthPrompt />
        <main id="main" className="content" tabIndex={-1}>
          <Routes>
            <Route
              path="/"
              element={
                inNavigation[0] ? (
                  <Navigate to={inNavigation[0].path} replace />
                ) : (
                  <Page title="nav.home">
                    <HomeScreen />
                  </Page>
                )
              }
            />
            {SCREENS.map((screen) => (
              <Route key={screen.path} path={screen.path} element={<Guarded screen={screen} />} />
            ))}
            <Route
              path="*"
              element={
                <Page title="notFound.title">
                  <NotFound />
                </Page>
              }
            />
          </Routes>
        </main>
      </div>
    </NotificationsProvider>
  );
}
