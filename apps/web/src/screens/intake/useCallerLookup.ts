import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { CallerLookup, EarlierContact } from '../../api/types';

export type LookupState =
  | { status: 'idle' }
  | { status: 'checking' }
  | {
      status: 'done';
      previousContacts: number;
      earlierContacts: EarlierContact[];
      hiddenContacts: number;
    }
  | { status: 'failed' };

/** Shorter than this is still being typed: no number or handle is that short. */
const MIN_LENGTH = 5;
const PAUSE_MS = 600;

/**
 * Asks whether the caller has been in touch before, once the volunteer pauses typing their
 * number or handle. The identifier goes in a POST body (never a URL, which ends up in logs)
 * and the server keeps only its keyed hash.
 */
export function useCallerLookup(identifier: string): LookupState {
  const value = identifier.trim();
  const [result, setResult] = useState<{ value: string; state: LookupState }>({
    value: '',
    state: { status: 'idle' },
  });
  useEffect(() => {
    if (value.length < MIN_LENGTH) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      setResult({ value, state: { status: 'checking' } });
      api
        .post<CallerLookup>(
          '/api/callers/lookup',
          { identifier: value },
          { signal: controller.signal },
        )
        .then(({ previousContacts, earlierContacts, hiddenContacts }) =>
          setResult({
            value,
            state: { status: 'done', previousContacts, earlierContacts, hiddenContacts },
          }),
        )
        .catch(() => {
          if (!controller.signal.aborted) setResult({ value, state: { status: 'failed' } });
        });
    }, PAUSE_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [value]);
  // An answer about what was typed before is no answer about what is typed now.
  return value.length >= MIN_LENGTH && result.value === value ? result.state : { status: 'idle' };
}
