import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { NATIONWIDE, type Referral, type ReferralKind } from '../../api/types';
import type { I18n } from '../../i18n/i18n';

export function kindLabel(t: I18n['t'], kind: ReferralKind): string {
  return t(`referrals.kind.${kind}`);
}

/** A federal subject's name, or "nationwide" for an entry that helps from anywhere. */
export function referralRegionLabel(t: I18n['t'], label: I18n['label'], region: string): string {
  return region === NATIONWIDE ? t('referrals.nationwide') : label('regions', region);
}

/** The most ids POST /api/referrals/read takes at once. */
const READ_CHUNK = 20;

/**
 * The directory's entries for these ids (a contact's referrals), read once per set of ids.
 * Each read is audited by the server; an id it does not return is an entry no longer there.
 */
export function useReferralEntries(ids: readonly string[]): {
  entries: ReadonlyMap<string, Referral>;
  loaded: boolean;
} {
  const key = [...new Set(ids)].sort().join(',');
  const [state, setState] = useState<{ key: string; entries: Map<string, Referral> }>({
    key: '',
    entries: new Map(),
  });
  useEffect(() => {
    if (key === '') return;
    const controller = new AbortController();
    const wanted = key.split(',');
    const chunks: string[][] = [];
    for (let i = 0; i < wanted.length; i += READ_CHUNK)
      chunks.push(wanted.slice(i, i + READ_CHUNK));
    void Promise.all(
      chunks.map((chunk) =>
        api.post<Referral[]>('/api/referrals/read', { ids: chunk }, { signal: controller.signal }),
      ),
    )
      .then((answers) => {
        if (!controller.signal.aborted)
          setState({ key, entries: new Map(answers.flat().map((entry) => [entry.id, entry])) });
      })
      .catch(() => {
        if (!controller.signal.aborted) setState({ key, entries: new Map() });
      });
    return () => controller.abort();
  }, [key]);
  return { entries: state.entries, loaded: key === '' || state.key === key };
}
