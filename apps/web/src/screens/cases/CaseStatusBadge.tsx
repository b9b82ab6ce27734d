import type { CaseStatus, Service } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { statusLabel } from './case-words';

/** A case's status as a coloured badge (styled per status); its service words an emergency's. */
export function CaseStatusBadge({ status, service }: { status: CaseStatus; service?: Service }) {
  const { t } = useI18n();
  return <span className={`status status--${status}`}>{statusLabel(t, status, service)}</span>;
}
