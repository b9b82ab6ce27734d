import type { Referral } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { kindLabel, useReferralEntries } from './referral-words';

/**
 * The directory entries a contact was referred to, by name and kind; with `detailed`, how to
 * reach them too (for the specialist who follows the case up). An entry the directory no
 * longer hands out is said to be unavailable, never guessed at.
 */
export function ReferredTo({
  ids,
  entries,
  detailed = false,
}: {
  ids: readonly string[];
  entries: ReadonlyMap<string, Referral>;
  detailed?: boolean | undefined;
}) {
  const { t } = useI18n();
  if (ids.length === 0) return null;
  return (
    <ul className="plain-list referred-to">
      {ids.map((id) => {
        const entry = entries.get(id);
        if (!entry)
          return (
            <li key={id} className="muted">
              {t('referrals.unknownEntry')}
            </li>
          );
        return (
          <li key={id}>
            <span className="referred-to__name">{entry.name}</span>{' '}
            <span className="muted">({kindLabel(t, entry.kind)})</span>
            {detailed && entry.contactDetails ? (
              <span className="referred-to__details"> · {entry.contactDetails}</span>
            ) : null}
            {detailed && entry.address ? (
              <span className="referred-to__details"> · {entry.address}</span>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

/** ReferredTo, reading its entries itself: for a screen that shows one contact. */
export function ReferredToLoaded({
  ids,
  detailed,
}: {
  ids: readonly string[];
  detailed?: boolean | undefined;
}) {
  const { entries, loaded } = useReferralEntries(ids);
  if (!loaded) return null;
  return <ReferredTo ids={ids} entries={entries} detailed={detailed} />;
}
