import { useEffect, useState } from 'react';
import { serverNow } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { clock } from './clock';

/**
 * Time left to acknowledge, by the server's clock (a laptop's own clock may be minutes off):
 * red in the last minute, and past zero it says the next tier has been called. A timer role
 * keeps screen readers from reading every tick; the label says what it counts.
 */
export function Countdown({ dueAt }: { dueAt: string }) {
  const { t } = useI18n();
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(serverNow()), 500);
    return () => window.clearInterval(timer);
  }, []);
  const left = Math.ceil((new Date(dueAt).getTime() - now) / 1000);
  if (left <= 0)
    return (
      <span role="timer" className="countdown countdown--overdue" data-testid="ack-countdown">
        {t('board.overdue', { time: clock(-left) })}
      </span>
    );
  return (
    <span
      role="timer"
      className={left <= 60 ? 'countdown countdown--urgent' : 'countdown'}
      data-testid="ack-countdown"
      aria-label={t('board.timeLeftLabel', { time: clock(left) })}
    >
      {clock(left)}
    </span>
  );
}
