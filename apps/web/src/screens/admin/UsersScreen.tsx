import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import { ROLES, type Account, type AccountWithEnrolment, type Role } from '../../api/types';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { DataTable } from '../../components/DataTable';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { useMe } from '../../session/session';
import { accountError } from './account-error';
import { CreateUserForm } from './CreateUserForm';

type Action = 'disable' | 'enable' | 'resetTotp' | 'reissue';

type Pending =
  { kind: Action; account: Account } | { kind: 'roles'; account: Account; roles: Role[] };

const PATHS: Record<Action, string> = {
  disable: 'disable',
  enable: 'enable',
  resetTotp: 'totp/reset',
  reissue: 'enrolment',
};

/** Accounts: who may sign in, with which roles; admins never see case content here. */
export function UsersScreen() {
  const { t, date, dateTime } = useI18n();
  const me = useMe();
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  /** A code just issued: shown once, until the admin says it has been handed over. */
  const [issued, setIssued] = useState<AccountWithEnrolment | null>(null);
  const [query, setQuery] = useState('');
  /** The last answer of the search, and the query it answered. */
  const [result, setResult] = useState<{ query: string; accounts: Account[] } | null>(null);
  const [searchError, setSearchError] = useState<{ query: string; text: string } | null>(null);
  const wanted = query.trim();

  // The server opens the sealed names and matches the start; a POST keeps the query out of URLs.
  useEffect(() => {
    if (wanted === '') return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      api
        .post<Account[]>(
          '/api/admin/users/search',
          { query: wanted },
          { signal: controller.signal },
        )
        .then((list) => {
          setResult({ query: wanted, accounts: list });
          setSearchError(null);
        })
        .catch((error: unknown) => {
          if (!controller.signal.aborted)
            setSearchError({
              query: wanted,
              text: `${t('users.searchFailed')} ${errorMessage(t, error)}`,
            });
        });
    }, 250);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [wanted, t, accounts]);
  /** What the search found for the query in the box; null while there is none (or no answer yet). */
  const found = wanted !== '' && result?.query === wanted ? result.accounts : null;
  const shown = found ?? accounts;

  const reload = useCallback(
    (signal?: AbortSignal) =>
      api
        .get<Account[]>('/api/admin/users', signal ? { signal } : {})
        .then((list) => {
          setAccounts(list);
          setLoadError(null);
        })
        .catch((error: unknown) => {
          if (!signal?.aborted) setLoadError(error);
        }),
    [],
  );

  useEffect(() => {
    const controller = new AbortController();
    void reload(controller.signal);
    return () => controller.abort();
  }, [reload]);

  const close = () => {
    setPending(null);
    setActionError(null);
  };

  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    setActionError(null);
    const { account } = pending;
    try {
      const updated =
        pending.kind === 'roles'
          ? await api.put<Account>(`/api/admin/users/${account.id}/roles`, {
              roles: pending.roles,
            })
          : await api.post<Account>(`/api/admin/users/${account.id}/${PATHS[pending.kind]}`);
      setAccounts((list) => list?.map((a) => (a.id === updated.id ? updated : a)) ?? null);
      const messages = {
        disable: 'users.doneDisabled',
        enable: 'users.doneEnabled',
        resetTotp: 'users.doneTotpReset',
        roles: 'users.doneRoles',
        reissue: null,
      } as const;
      const message = messages[pending.kind];
      if (message) setDone(t(message, { username: account.username }));
      else {
        setDone(null);
        setIssued(updated as AccountWithEnrolment);
      }
      setPending(null);
    } catch (error) {
      setActionError(accountError(t, error));
    } finally {
      setBusy(false);
    }
  };

  const confirmText = (kind: Action, username: string) =>
    kind === 'disable'
      ? t('users.confirmDisable', { username })
      : kind === 'enable'
        ? t('users.confirmEnable', { username })
        : kind === 'reissue'
          ? t('users.confirmReissue', { username })
          : t('users.confirmResetTotp', { username });
  const actionLabel = (kind: Action) =>
    kind === 'disable'
      ? t('users.disable')
      : kind === 'enable'
        ? t('users.enable')
        : kind === 'reissue'
          ? t('users.reissue')
          : t('users.resetTotp');

  return (
    <section className="users">
      <h1 tabIndex={-1}>{t('users.title')}</h1>
      {done ? <Notice tone="success">{done}</Notice> : null}

      <CreateUserForm
        onCreated={(account) => {
          setAccounts((list) =>
            [...(list ?? []), account].sort((a, b) => a.username.localeCompare(b.username)),
          );
          setDone(t('users.created', { username: account.username }));
          setIssued(account);
        }}
      />

      {issued ? (
        <section className="notice notice--warning enrolment-code" aria-labelledby="issued-code">
          <h2 id="issued-code">{t('users.codeTitle', { username: issued.username })}</h2>
          <p>
            <code className="secret" translate="no" data-testid="enrolment-code">
              {issued.enrolment.code}
            </code>
          </p>
          <p>
            {t('users.linkLabel')}{' '}
            <code className="secret" translate="no" data-testid="enrolment-link">
              {`${window.location.origin}/enrol#${issued.enrolment.code}`}
            </code>
          </p>
          <p>{t('users.codeNote', { expires: dateTime(issued.enrolment.expiresAt) })}</p>
          <button type="button" className="button" onClick={() => setIssued(null)}>
            {t('users.codeDone')}
          </button>
        </section>
      ) : null}

      <h2>{t('users.listTitle')}</h2>
      <form
        className="users__search"
        role="search"
        onSubmit={(event) => event.preventDefault()}
        noValidate
      >
        <Field id="users-search" label={t('users.search')} hint={t('users.searchHint')}>
          {(control) => (
            <input
              {...control}
              className="input"
              type="search"
              autoComplete="off"
              spellCheck={false}
              value={query}
              onChange={(event) => setQuery(event.target.value)}
            />
          )}
        </Field>
      </form>
      {searchError && searchError.query === wanted ? (
        <Notice tone="error">{searchError.text}</Notice>
      ) : null}
      {found !== null ? (
        <p role="status" className="field__hint">
          {t('users.searchFound', { count: found.length })}
        </p>
      ) : null}
      <DataTable
        items={shown ?? undefined}
        error={loadError}
        failedText="users.loadFailed"
        empty={null}
        columns={[
          t('users.colUsername'),
          t('users.colRoles'),
          t('users.colStatus'),
          t('users.colTotp'),
          t('users.colCreated'),
          t('users.colLastSignIn'),
          t('users.colActions'),
        ]}
        row={(account) => {
          const self = account.id === me.id;
          return (
            <tr key={account.id} data-username={account.username}>
              <th scope="row">
                {account.username} {self ? <span className="muted">{t('users.you')}</span> : null}
              </th>
              <td>
                {account.roles.map((role) => t(`role.${role}`)).join(', ')}
                {account.pendingRoles.length > 0 ? (
                  <span className="muted">
                    {' '}
                    (
                    {t('users.pendingRoles', {
                      roles: account.pendingRoles.map((role) => t(`role.${role}`)).join(', '),
                    })}
                    )
                  </span>
                ) : null}
              </td>
              <td>
                <span className={account.disabled ? 'badge badge--danger' : 'badge badge--ok'}>
                  {account.disabled ? t('users.disabled') : t('users.active')}
                </span>
                {account.awaitingEnrolment ? (
                  <span className="badge">{t('users.awaitingEnrolment')}</span>
                ) : null}
              </td>
              <td>{account.totpEnrolled ? t('users.totpEnrolled') : t('users.totpNotEnrolled')}</td>
              <td>{date(account.createdAt)}</td>
              <td>
                {account.lastSignInAt
                  ? t('users.lastSignInHour', { at: dateTime(account.lastSignInAt) })
                  : t('users.neverSignedIn')}
              </td>
              <td>
                {self ? null : (
                  <div className="table__actions">
                    <button
                      type="button"
                      className="button button--small button--secondary"
                      aria-label={`${t('users.editRoles')} ${account.username}`}
                      onClick={() =>
                        setPending({ kind: 'roles', account, roles: [...account.roles] })
                      }
                    >
                      {t('users.editRoles')}
                    </button>
                    <button
                      type="button"
                      className="button button--small button--secondary"
                      aria-label={`${actionLabel(account.disabled ? 'enable' : 'disable')} ${account.username}`}
                      onClick={() =>
                        setPending({ kind: account.disabled ? 'enable' : 'disable', account })
                      }
                    >
                      {actionLabel(account.disabled ? 'enable' : 'disable')}
                    </button>
                    <button
                      type="button"
                      className="button button--small button--secondary"
                      aria-label={`${actionLabel('reissue')} ${account.username}`}
                      onClick={() => setPending({ kind: 'reissue', account })}
                    >
                      {actionLabel('reissue')}
                    </button>
                    {account.totpEnrolled ? (
                      <button
                        type="button"
                        className="button button--small button--secondary"
                        aria-label={`${actionLabel('resetTotp')} ${account.username}`}
                        onClick={() => setPending({ kind: 'resetTotp', account })}
                      >
                        {actionLabel('resetTotp')}
                      </button>
                    ) : null}
                  </div>
                )}
              </td>
            </tr>
          );
        }}
      />

      {pending && pending.kind !== 'roles' ? (
        <ConfirmDialog
          title={actionLabel(pending.kind)}
          message={confirmText(pending.kind, pending.account.username)}
          confirmLabel={actionLabel(pending.kind)}
          cancelLabel={t('common.cancel')}
          danger={pending.kind !== 'enable'}
          busy={busy}
          error={actionError}
          onConfirm={() => void confirm()}
          onCancel={close}
        />
      ) : null}
      {pending?.kind === 'roles' ? (
        <Dialog
          title={t('users.rolesTitle', { username: pending.account.username })}
          onClose={close}
        >
          <form
            onSubmit={(event) => {
              event.preventDefault();
              void confirm();
            }}
          >
            <fieldset className="checks">
              <legend className="field__label">{t('users.roles')}</legend>
              {ROLES.map((role) => (
                <label key={role} className="check">
                  <input
                    type="checkbox"
                    checked={pending.roles.includes(role)}
                    onChange={(event) =>
                      setPending({
                        ...pending,
                        roles: event.target.checked
                          ? [...pending.roles, role]
                          : pending.roles.filter((r) => r !== role),
                      })
                    }
                  />
                  {t(`role.${role}`)}
                </label>
              ))}
            </fieldset>
            <p className="field__hint">{t('users.rolesNote')}</p>
            <p className="field__hint">{t('users.rolesTwoPerson')}</p>
            {actionError ? (
              <p className="notice notice--error" role="alert">
                {actionError}
              </p>
            ) : null}
            <div className="dialog__actions">
              <button type="button" className="button button--secondary" onClick={close}>
                {t('common.cancel')}
              </button>
              <button type="submit" className="button" disabled={busy}>
                {t('common.save')}
              </button>
            </div>
          </form>
        </Dialog>
      ) : null}
    </section>
  );
}
