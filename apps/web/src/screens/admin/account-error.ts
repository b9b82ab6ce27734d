import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { I18n } from '../../i18n/i18n';

export function accountError(t: I18n['t'], error: unknown): string {
  if (error instanceof ApiError && error.code === 'cannot_change_own_account')
    return t('users.errorOwn');
  if (error instanceof ApiError && error.code === 'username_taken') return t('users.errorTaken');
  return errorMessage(t, error);
}
