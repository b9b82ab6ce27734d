import { useI18n } from '../../i18n/i18n';
import type { LookupState } from './useCallerLookup';

/** A day (YYYY-MM-DD) as a date to show: noon UTC, so no time zone moves it to another day. */
const asDay = (day: string) => new Date(`${day}T12:00:00Z`);

/**
 * The caller's earlier contacts, while the volunteer is on the call with them: the day, the
 * services still consented to and the outcome of each, as the server allowed (never a time,
 * a summary or a profile), and how many more the caller's consent keeps from view.
 */
export function CallerHistory({ lookup }: { lookup: LookupState }) {
  const { t, label, date } = useI18n();
  if (lookup.status !== 'done' || lookup.previousContacts === 0) return null;
  const { earlierContacts, hiddenContacts } = lookup;
  return (
    <div className="caller-history">
      {earlierContacts.length > 0 ? (
        <table className="table table--compact caller-history__table">
          <caption>{t('callerHistory.caption', { count: earlierContacts.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('callerHistory.date')}</th>
              <th scope="col">{t('callerHistory.services')}</th>
              <th scope="col">{t('callerHistory.outcome')}</th>
            </tr>
          </thead>
          <tbody>
            {earlierContacts.map((contact, n) => (
              <tr key={`${contact.date}-${n}`}>
                <td>{date(asDay(contact.date))}</td>
                <td>
                  {contact.services.length > 0
                    ? contact.services.map((s) => label('services', s)).join(', ')
                    : t('callerHistory.noService')}
                </td>
                <td>{label('contactOutcomes', contact.outcome)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {hiddenContacts > 0 ? (
        <p className="field__hint caller-history__hidden">
          {t('callerHistory.hidden', { count: hiddenContacts })}
        </p>
      ) : null}
    </div>
  );
}
