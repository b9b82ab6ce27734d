import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { api, onSealed } from '../api/client';
import type { Health, UnsealStatus } from '../api/types';

/**
 * Whether Mayak is sealed (its keys are not in memory: after a lockdown, or a restart under
 * sealed custody). Learnt three ways: the unseal status at start, any API answer 503
 * `sealed`, and a light poll of /api/health, so that a screen left open hears of a lockdown
 * before the person presses anything.
 */
export interface Custody {
  sealed: boolean;
  /** The last unseal status the server gave; null until the first answer. */
  status: UnsealStatus | null;
  /** Something on screen must stay while sealed (the intake draft): see `useHoldWhileSealed`. */
  held: boolean;
  /** Takes the server's answer to GET or POST /api/unseal. */
  update: (status: UnsealStatus) => void;
  /** Say sealed now (a lockdown this person just made), and fetch the unseal status. */
  markSealed: () => void;
  hold: () => () => void;
}

const CustodyContext = createContext<Custody | null>(null);

/** Unsealed, a screen hears of a lockdown within this long even if nobody presses anything. */
export const HEALTH_POLL_MS = 15_000;
/** Sealed, other key holders may be entering shares elsewhere: show their progress. */
export const UNSEAL_POLL_MS = 3_000;

export function CustodyProvider({ children }: { children: ReactNode }) {
  const [sealed, setSealed] = useState(false);
  const [status, setStatus] = useState<UnsealStatus | null>(null);
  const [holds, setHolds] = useState(0);

  const update = useCallback((next: UnsealStatus) => {
    setStatus(next);
    setSealed(next.sealed);
  }, []);

  const refresh = useCallback(
    (signal?: AbortSignal) =>
      api
        .get<UnsealStatus>('/api/unseal', signal ? { signal } : {})
        .then(update)
        .catch(() => undefined),
    [update],
  );

  const markSealed = useCallback(() => {
    setSealed(true);
    void refresh();
  }, [refresh]);

  useEffect(() => {
    const controller = new AbortController();
    void refresh(controller.signal);
    const unsubscribe = onSealed(markSealed);
    return () => {
      controller.abort();
      unsubscribe();
    };
  }, [refresh, markSealed]);

  useEffect(() => {
    const timer = window.setInterval(
      () => {
        if (sealed) void refresh();
        else
          api
            .get<Health>('/api/health')
            .then((health) => {
              if (health.sealed) markSealed();
            })
            // Down or unreachable is not sealed; the screens say so when they fail.
            .catch(() => undefined);
      },
      sealed ? UNSEAL_POLL_MS : HEALTH_POLL_MS,
    );
    return () => window.clearInterval(timer);
  }, [sealed, refresh, markSealed]);

  const hold = useCallback(() => {
    setHolds((n) => n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      setHolds((n) => n - 1);
    };
  }, []);

  const value = useMemo<Custody>(
    () => ({ sealed, status, held: holds > 0, update, markSealed, hold }),
    [sealed, status, holds, update, markSealed, hold],
  );
  return <CustodyContext.Provider value={value}>{children}</CustodyContext.Provider>;
}

export function useCustody(): Custody {
  const value = useContext(CustodyContext);
  if (!value) throw new Error('useCustody outside CustodyProvider');
  return value;
}

/**
 * While the calling component is on screen, sealing does not take a signed-in person away
 * from it: the intake form keeps what was typed and says itself that it cannot save.
 */
export function useHoldWhileSealed(): void {
  const { hold } = useCustody();
  useEffect(() => hold(), [hold]);
}
