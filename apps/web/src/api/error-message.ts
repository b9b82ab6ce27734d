import type { I18n } from '../i18n/i18n';
import { ApiError } from './client';

/** What to tell a person when a request failed, in their language; never the raw server text. */
export function errorMessage(t: I18n['t'], error: unknown): string {
  if (!(error instanceof ApiError)) return t('error.generic');
  if (error.status === 0) return t('error.network');
  if (error.code === 'csrf_failed') return t('error.csrf');
  if (error.code === 'reauthentication_required') return t('error.reauthenticationRequired');
  if (error.status === 403) return t('error.forbidden');
  if (error.status === 404) return t('error.notFound');
  if (error.status === 409) return t('error.conflict');
  if (error.status === 429) return t('error.throttled');
  if (error.status === 503) return t('error.unavailable');
  if (error.status >= 500)
    return error.errorId ? t('error.server', { errorId: error.errorId }) : t('error.serverNoId');
  if (error.status === 400) return t('error.validation');
  return t('error.generic');
}
