import { useState } from 'react';
import type { FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { ROLES, type Account, type Role } from '../../api/types';
import { ErrorSummary, type SummaryItem } from '../../components/ErrorSummary';
import { Field } from '../../components/Field';
import { useI18n } from '../../i18n/i18n';
import { accountError } from './account-error';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;
/** No 0/O, 1/l/I: the password is read out or copied by hand once. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function generatePassword(length = 20): string {
  const out: string[] = [];
  const bytes = new Uint8Array(1);
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % ALPHABET.length);
  while (out.length < length) {
    crypto.getRandomValues(bytes);
    const byte = bytes[0] ?? 255;
    if (byte < limit) out.push(ALPHABET[byte % ALPHABET.length] ?? '');
  }
  return out.join('');
}

const FIELD = {
  username: 'new-user-username',
  password: 'new-user-password',
  roles: 'new-user-role-volunteer',
};

export function CreateUserForm({ onCreated }: { onCreated: (account: Account) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
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
    if (password.length < 12 || password.length > 256)
      found.push({ target: FIELD.password, message: t('users.errorPassword') });
    if (roles.length === 0) found.push({ target: FIELD.roles, message: t('users.errorRoles') });
    setProblems(found);
    setGeneral(null);
    if (found.length > 0) return;
    setBusy(true);
    try {
      const account = await api.post<Account>('/api/admin/users', {
        username: username.trim(),
        password,
        roles,
      });
      onCreated(account);
      setUsername('');
      setPassword('');
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
          <Field
            id={FIELD.password}
            label={t('users.password')}
            hint={t('users.passwordHint')}
            error={fieldError(FIELD.password)}
          >
            {(control) => (
              <div className="input-with-button">
                <input
                  {...control}
                  className="input"
                  type="text"
                  autoComplete="new-password"
                  spellCheck={false}
                  value={password}
                  onChange={(event) => setPassword(event.target.value)}
                />
                <button
                  type="button"
                  className="button button--secondary"
                  onClick={() => setPassword(generatePassword())}
                >
                  {t('users.generate')}
                </button>
              </div>
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
        <button type="submit" className="button" disabled={busy}>
          {t('users.create')}
        </button>
      </form>
    </details>
  );
}
