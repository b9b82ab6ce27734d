import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n/i18n';
import { useSession } from './session';

const ACTIVITY_EVENTS = ['keydown', 'pointerdown', 'wheel', 'touchstart'] as const;
const WARN_BEFORE_MS = 60_000;
/** Activity is reported to the server at most this often (the server's own touch is 30 s). */
const KEEP_ALIVE_EVERY_MS = 60_000;

/**
 * Ends the session after the server's idle timeout without keyboard or pointer activity,
 * with a minute's warning first; while the person is active, keeps the server session alive
 * even on a screen that makes no requests (a long call typed into the intake form).
 */
export function IdleMonitor({ idleMs }: { idleMs: number }) {
  const { t } = useI18n();
  const { signOut, keepAlive } = useSession();
  const lastActivity = useRef(0);
  const lastKeepAlive = useRef(0);
  const [secondsLeft, setSecondsLeft] = useState<number | null>(null);
  // Said once when the warning appears; the ticking count is for the eyes only, or a screen
  // reader would read it out every second.
  const [announced, setAnnounced] = useState<number | null>(null);

  useEffect(() => {
    lastActivity.current = Date.now();
    lastKeepAlive.current = Date.now();
    const onActivity = () => {
      lastActivity.current = Date.now();
    };
    const check = () => {
      const now = Date.now();
      const idleFor = now - lastActivity.current;
      if (idleFor >= idleMs) {
        signOut('idle');
        return;
      }
      const left = idleMs - idleFor;
      const seconds = left <= WARN_BEFORE_MS ? Math.ceil(left / 1000) : null;
      setSecondsLeft(seconds);
      setAnnounced((previous) => (seconds === null ? null : (previous ?? seconds)));
      if (
        lastActivity.current > lastKeepAlive.current &&
        now - lastKeepAlive.current >= KEEP_ALIVE_EVERY_MS
      ) {
        lastKeepAlive.current = now;
        keepAlive().catch(() => undefined);
      }
    };
    for (const name of ACTIVITY_EVENTS)
      window.addEventListener(name, onActivity, { capture: true, passive: true });
    // Timers sleep in a hidden tab; look again the moment it is shown.
    document.addEventListener('visibilitychange', check);
    const timer = window.setInterval(check, 1_000);
    return () => {
      for (const name of ACTIVITY_EVENTS)
        window.removeEventListener(name, onActivity, { capture: true });
      document.removeEventListener('visibilitychange', check);
      window.clearInterval(timer);
    };
  }, [idleMs, signOut, keepAlive]);

  if (secondsLeft === null) return null;
  return (
    <div className="idle-warning">
      <p aria-hidden="true">{t('idle.warning', { count: secondsLeft })}</p>
      <p className="visually-hidden" role="alert">
        {t('idle.warning', { count: announced ?? secondsLeft })}
      </p>
      <button type="button" className="button" onClick={() => (lastActivity.current = Date.now())}>
        {t('idle.stay')}
      </button>
    </div>
  );
}
