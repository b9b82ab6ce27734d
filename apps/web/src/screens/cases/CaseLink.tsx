import { Link } from 'react-router';
import { useI18n } from '../../i18n/i18n';

/** A case's row in a list: its received time, a link a screen reader reads as "open case". */
export function CaseLink({ id, createdAt }: { id: string; createdAt: string }) {
  const { t, dateTime } = useI18n();
  return (
    <Link to={`/cases/${id}`} className="table__link">
      {dateTime(createdAt)}
      <span className="visually-hidden"> — {t('cases.open')}</span>
    </Link>
  );
}
