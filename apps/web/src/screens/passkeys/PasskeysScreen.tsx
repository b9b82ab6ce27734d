import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../../api/client';
import type { Passkey } from '../../api/types';
import { useResource } from '../../api/useResource';
import { ConfirmDialog } from '../../components/Dialog';
import { ErrorSummary, type SummaryItem } from '../../components/ErrorSummary';
import { DataTable } from '../../components/DataTable';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { PasskeyNameField, passkeyNameProblem } from './PasskeyNameField';
import { passkeyErrorMessage, registerPasskey } from '../../session/webauthn';

const NAME_FIELD = 'new-passkey-name';

/** A calendar day (YYYY-MM-DD) as local midnight: parsed as UTC it is the day before in the west. */
const calendarDay = (day: string): Date => new Date(`${day}T00:00:00`);

/**
 * /passkeys, for everyone signed in: their own passkeys (names and the day each was added,
 * never a key), another one added, one removed. Adding another and removing one need a
 * recent re-authentication; the API client brings up the prompt when the server asks.
 */
export function PasskeysScreen() {
  const { t, date } = useI18n();
  const passkeys = useResource<Passkey[]>('/api/auth/passkeys');
  const [name, setName] = useState('');
  const [adding, setAdding] = useState(false);
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Passkey | null>(null);
  const [removeBusy, setRemoveBusy] = useState(false);
  const [removeError, setRemoveError] = useState<string | null>(null);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const problem = passkeyNameProblem(name);
    setProblems(problem ? [{ target: NAME_FIELD, message: t(problem) }] : []);
    setGeneral(null);
    setDone(null);
    if (problem) return;
    setAdding(true);
    try {
      const added = await registerPasskey(name.trim());
      passkeys.setData((list) => [...(list ?? []), added]);
      setName('');
      setDone(t('passkeys.added', { name: added.name }));
    } catch (error) {
      setGeneral(passkeyErrorMessage(t, error));
    } finally {
      setAdding(false);
    }
  };

  const remove = async (passkey: Passkey) => {
    setRemoveBusy(true);
    setRemoveError(null);
    try {
      await api.delete<void>(`/api/auth/passkeys/${encodeURIComponent(passkey.id)}`);
      passkeys.setData((list) => list?.filter((p) => p.id !== passkey.id));
      setRemoving(null);
      setDone(t('passkeys.removed', { name: passkey.name }));
    } catch (error) {
      setRemoveError(passkeyErrorMessage(t, error));
    } finally {
      setRemoveBusy(false);
    }
  };

  const list = passkeys.data;
  return (
    <section className="passkeys">
      <h1 tabIndex={-1}>{t('passkeys.title')}</h1>
      <p>{t('passkeys.intro')}</p>
      {done ? <Notice tone="success">{done}</Notice> : null}

      <div className="panel">
        <h2>{t('passkeys.mine')}</h2>
        {passkeys.error !== undefined && list === undefined ? (
          <Notice tone="error">{passkeyErrorMessage(t, passkeys.error)}</Notice>
        ) : null}
        <DataTable
          items={list}
          failed={passkeys.error !== undefined}
          empty={t('passkeys.empty')}
          columns={[
            t('passkeys.column.name'),
            t('passkeys.column.added'),
            <span className="visually-hidden">{t('passkeys.column.actions')}</span>,
          ]}
          row={(passkey) => (
            <tr key={passkey.id}>
              <td>{passkey.name}</td>
              <td>{date(calendarDay(passkey.addedOn))}</td>
              <td>
                <button
                  type="button"
                  className="button button--secondary button--small"
                  aria-label={t('passkeys.remove', { name: passkey.name })}
                  onClick={() => {
                    setDone(null);
                    setRemoveError(null);
                    setRemoving(passkey);
                  }}
                >
                  {t('passkeys.removeShort')}
                </button>
              </td>
            </tr>
          )}
        />
      </div>

      <form className="panel passkeys__add" onSubmit={(event) => void add(event)} noValidate>
        <h2>{t('passkeys.addTitle')}</h2>
        <p>{t('passkeys.addText')}</p>
        <ErrorSummary items={problems} general={general} />
        <PasskeyNameField
          id={NAME_FIELD}
          value={name}
          onChange={setName}
          error={problems.find((p) => p.target === NAME_FIELD)?.message}
        />
        <button type="submit" className="button" disabled={adding}>
          {adding ? t('passkey.waiting') : t('passkeys.add')}
        </button>
      </form>

      {removing ? (
        <ConfirmDialog
          title={t('passkeys.removeTitle', { name: removing.name })}
          message={t('passkeys.removeText')}
          confirmLabel={t('passkeys.removeConfirm')}
          cancelLabel={t('common.cancel')}
          danger
          busy={removeBusy}
          error={removeError}
          onConfirm={() => void remove(removing)}
          onCancel={() => setRemoving(null)}
        />
      ) : null}
    </section>
  );
}
