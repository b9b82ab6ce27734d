import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { ROLES, type AccountWithEnrolment, type Role } from '../../api/types';
import { ErrorSummary, type SummaryItem } from '../../components/ErrorSummary';
import { Field } from '../../components/Field';
import { useI18n } from '../../i18n/i18n';
import { accountError } from './account-error';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;

const FIELD = {
  username: 'new-user-username',
  roles: 'new-user-role-volunteer',
};

/**
 * A new account: a name and roles, no password. The answer's one-time enrolment code is for
 * its owner, who sets their own password and second factor with it (UsersScreen shows it once).
 */
export function CreateUserForm({
  onCreated,
}: {
  onCreated: (account: AccountWithEnrolment) => void;
}) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fieldError = (id: string) => problems.find((p) => p.target === id)?.message;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: SummaryItem[] = [];
    if (!USERNAME.test(username.trim()))
      found.push({ target: FIELD.username, message: t('users.errorUsername') });
    if (roles.length === 0) found.push({ target: FIELD.roles, message: t('users.errorRoles') });
    setProblems(found);
    setGeneral(null);
    if (found.length > 0) return;
    setBusy(true);
    try {
      const account = await api.post<AccountWithEnrolment>('/api/admin/users', {
        username: username.trim(),
        roles,
      });
      onCreated(account);
      setUsername('');
      setRoles([]);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'username_taken')
        setProblems([{ target: FIELD.username, message: t('users.errorTaken') }]);
      else setGeneral(accountError(t, error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <details className="create-user">
      <summary>{t('users.createTitle')}</summary>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorSummary items={problems} general={general} />
        <div className="row row--2">
          <Field
            id={FIELD.username}
            label={t('users.username')}
            hint={t('users.usernameHint')}
            error={fieldError(FIELD.username)}
          >
            {(control) => (
              <input
                {...control}
                className="input"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                value={username}
                onChange={(event) => setUsername(event.target.value.toLowerCase())}
              />
            )}
          </Field>
        </div>
        <fieldset className={fieldError(FIELD.roles) ? 'checks field--error' : 'checks'}>
          <legend className="field__label">{t('users.roles')}</legend>
          {fieldError(FIELD.roles) ? (
            <p className="field__error">{fieldError(FIELD.roles)}</p>
          ) : null}
          <div className="checks--inline">
            {ROLES.map((role) => (
              <label key={role} className="check">
                <input
                  id={`new-user-role-${role}`}
                  type="checkbox"
                  checked={roles.includes(role)}
                  onChange={(event) =>
                    setRoles(
                      event.target.checked ? [...roles, role] : roles.filter((r) => r !== role),
                    )
                  }
                />
                {t(`role.${role}`)}
              </label>
            ))}
          </div>
        </fieldset>
        <p className="field__hint">{t('users.rolesTwoPerson')}</p>
        <button type="submit" className="button" disabled={busy}>
          {t('users.create')}
        </button>
      </form>
    </details>
  );
}
