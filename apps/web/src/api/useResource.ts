import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './client';

export interface Resource<T> {
  /** The last answer; kept while a reload is under way, so the screen does not flicker. */
  data: T | undefined;
  /** Why the last load failed (pass it to errorMessage); cleared by the next success. */
  error: unknown;
  loading: boolean;
  /** Loads again; resolves when done (never rejects: the error lands in `error`). */
  reload: () => Promise<void>;
  /** Replaces the data after a change the screen made itself (an optimistic update). */
  setData: (update: (current: T | undefined) => T | undefined) => void;
}

/**
 * GETs a path and keeps the answer, aborting a load that a newer one overtook. A null
 * path loads nothing (a screen whose input is not ready yet).
 */
export function useResource<T>(path: string | null): Resource<T> {
  const [state, setState] = useState<{ path: string | null; data?: T; error?: unknown }>({
    path,
  });
  const [loading, setLoading] = useState(path !== null);
  const controller = useRef<AbortController | null>(null);

  const load = useCallback(async () => {
    controller.current?.abort();
    if (path === null) return;
    const mine = new AbortController();
    controller.current = mine;
    setLoading(true);
    try {
      const data = await api.get<T>(path, { signal: mine.signal });
      if (!mine.signal.aborted) setState({ path, data });
    } catch (error) {
      if (!mine.signal.aborted)
        setState((current) => ({
          path,
          ...(current.path === path && current.data !== undefined ? { data: current.data } : {}),
          error,
        }));
    } finally {
      if (!mine.signal.aborted) setLoading(false);
    }
  }, [path]);

  useEffect(() => {
    void load();
    return () => controller.current?.abort();
  }, [load]);

  const setData = useCallback(
    (update: (current: T | undefined) => T | undefined) =>
      setState((current) => {
        const next = update(current.data);
        return next === undefined ? { path: current.path } : { path: current.path, data: next };
      }),
    [],
  );

  // An answer for another path (the filters changed) is no answer for this one.
  const current = state.path === path;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading,
    reload: load,
    setData,
  };
}

/**
 * Calls `tick` every `ms` while the tab is visible, and at once when it becomes visible
 * again: lists that others change (a pool, a board) stay fresh without a reload.
 */
export function useWhileVisible(tick: () => void, ms: number): void {
  const latest = useRef(tick);
  useEffect(() => {
    latest.current = tick;
  });
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, ms);
    const onVisible = () => {
      if (document.visibilityState === 'visible') latest.current();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [ms]);
}
