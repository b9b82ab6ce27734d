import { useCallback, useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import {
  NATIONWIDE,
  REFERRAL_KINDS,
  type Referral,
  type ReferralKind,
  type ReferralSearch,
} from '../../api/types';
import { useVocabulary } from '../../api/vocabulary';
import { Field } from '../../components/Field';
import { DataTable } from '../../components/DataTable';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { useMe } from '../../session/session';
import { ReferralForm } from './ReferralForm';
import { kindLabel, referralRegionLabel } from './referral-words';

type Load =
  | { status: 'loading' }
  | { status: 'ready'; entries: Referral[] }
  | { status: 'failed'; error: unknown };

type Flash = { tone: 'success' | 'error'; text: string };

/**
 * The referral directory. Coordinators keep it here: search, add, edit, retire and reinstate.
 * Everyone else who refers callers (volunteers, specialists) searches it read-only; volunteers
 * mostly do so from the intake form's picker. Every entry shown is an audited read.
 */
export function ReferralDirectoryScreen() {
  const { t, label } = useI18n();
  const me = useMe();
  const keeper = me.roles.includes('coordinator');
  const vocabulary = useVocabulary();
  const [filter, setFilter] = useState<ReferralSearch>({});
  const [applied, setApplied] = useState<ReferralSearch>({});
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [editing, setEditing] = useState<Referral | 'new' | null>(null);
  const [flash, setFlash] = useState<Flash | null>(null);
  const [busy, setBusy] = useState(false);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    api
      .post<Referral[]>('/api/referrals/search', applied, { signal: controller.signal })
      .then((entries) => setLoad({ status: 'ready', entries }))
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setLoad({ status: 'failed', error });
      });
    return () => controller.abort();
  }, [applied, reloads]);

  const search = (event: FormEvent) => {
    event.preventDefault();
    setFlash(null);
    setApplied({
      ...(filter.region ? { region: filter.region } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.text?.trim() ? { text: filter.text.trim() } : {}),
      ...(filter.includeRetired ? { includeRetired: true } : {}),
    });
  };

  const setStatus = useCallback(
    async (entry: Referral, action: 'retire' | 'reinstate') => {
      setBusy(true);
      setFlash(null);
      try {
        await api.post(`/api/referrals/${entry.id}/${action}`);
        setFlash({
          tone: 'success',
          text: t(action === 'retire' ? 'referrals.retired' : 'referrals.reinstated', {
            name: entry.name,
          }),
        });
        setReloads((n) => n + 1);
      } catch (error) {
        setFlash({ tone: 'error', text: errorMessage(t, error) });
      } finally {
        setBusy(false);
      }
    },
    [t],
  );

  const regions = vocabulary.regions.filter((code) => code !== 'unknown');

  return (
    <section className="referrals">
      <h1 tabIndex={-1}>{t('referrals.title')}</h1>
      <p className="field__hint">{t('referrals.subtitle')}</p>
      {keeper ? null : <p className="muted">{t('referrals.readOnly')}</p>}

      <form className="referrals__filters" onSubmit={search} role="search">
        <Field label={t('referrals.searchText')}>
          {(control) => (
            <input
              {...control}
              type="search"
              className="input"
              autoComplete="off"
              maxLength={100}
              value={filter.text ?? ''}
              onChange={(event) => setFilter((f) => ({ ...f, text: event.target.value }))}
            />
          )}
        </Field>
        <Field label={t('referrals.region')}>
          {(control) => (
            <select
              {...control}
              className="input"
              value={filter.region ?? ''}
              onChange={(event) => setFilter((f) => ({ ...f, region: event.target.value }))}
            >
              <option value="">{t('referrals.anyRegion')}</option>
              <option value={NATIONWIDE}>{t('referrals.nationwide')}</option>
              {regions
                .map((code) => ({ code, name: label('regions', code) }))
                .sort((a, b) => a.name.localeCompare(b.name))
                .map(({ code, name }) => (
                  <option key={code} value={code}>
                    {name}
                  </option>
                ))}
            </select>
          )}
        </Field>
        <Field label={t('referrals.kind')}>
          {(control) => (
            <select
              {...control}
              className="input"
              value={filter.kind ?? ''}
              onChange={(event) =>
                setFilter((f) => {
                  const { kind: _old, ...rest } = f;
                  const kind = event.target.value as ReferralKind | '';
                  return kind ? { ...rest, kind } : rest;
                })
              }
            >
              <option value="">{t('referrals.anyKind')}</option>
              {REFERRAL_KINDS.map((code) => (
                <option key={code} value={code}>
                  {kindLabel(t, code)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {keeper ? (
          <label className="check referrals__retired">
            <input
              type="checkbox"
              checked={filter.includeRetired ?? false}
              onChange={(event) =>
                setFilter((f) => ({ ...f, includeRetired: event.target.checked }))
              }
            />
            {t('referrals.includeRetired')}
          </label>
        ) : null}
        <button type="submit" className="button">
          {t('referrals.search')}
        </button>
      </form>

      {keeper && editing === null ? (
        <button
          type="button"
          className="button button--primary referrals__add"
          onClick={() => {
            setFlash(null);
            setEditing('new');
          }}
        >
          {t('referrals.add')}
        </button>
      ) : null}
      {keeper && editing !== null ? (
        <ReferralForm
          key={editing === 'new' ? 'new' : editing.id}
          entry={editing === 'new' ? null : editing}
          regions={regions}
          onCancel={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setFlash({ tone: 'success', text: t('referrals.saved', { name: saved.name }) });
            setReloads((n) => n + 1);
          }}
        />
      ) : null}

      {flash ? <Notice tone={flash.tone}>{flash.text}</Notice> : null}

      <DataTable
        items={load.status === 'ready' ? load.entries : undefined}
        error={load.status === 'failed' ? load.error : undefined}
        failedText="referrals.loadFailed"
        empty={t('referrals.empty')}
        caption={t('referrals.title')}
        captionHidden
        className="referrals__table"
        columns={[
          t('referrals.name'),
          t('referrals.kind'),
          t('referrals.region'),
          t('referrals.contactDetails'),
          t('referrals.address'),
          t('referrals.notes'),
          ...(keeper
            ? [
                t('referrals.status'),
                <span className="visually-hidden">{t('referrals.actions')}</span>,
              ]
            : []),
        ]}
        row={(entry) => (
          <tr
            key={entry.id}
            className={entry.status === 'retired' ? 'referrals__row--retired' : undefined}
          >
            <th scope="row">{entry.name}</th>
            <td>{kindLabel(t, entry.kind)}</td>
            <td>{referralRegionLabel(t, label, entry.region)}</td>
            <td className="prewrap">{entry.contactDetails}</td>
            <td>{entry.address}</td>
            <td className="prewrap">{entry.notes}</td>
            {keeper ? (
              <>
                <td>
                  {entry.status === 'active'
                    ? t('referrals.statusActive')
                    : t('referrals.statusRetired')}
                </td>
                <td>
                  <div className="table__actions">
                    <button
                      type="button"
                      className="button button--secondary button--small"
                      aria-label={t('referrals.editLabel', { name: entry.name })}
                      onClick={() => {
                        setFlash(null);
                        setEditing(entry);
                      }}
                    >
                      {t('referrals.edit')}
                    </button>
                    {entry.status === 'active' ? (
                      <button
                        type="button"
                        className="button button--secondary button--small"
                        aria-label={t('referrals.retireLabel', { name: entry.name })}
                        disabled={busy}
                        onClick={() => void setStatus(entry, 'retire')}
                      >
                        {t('referrals.retire')}
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="button button--secondary button--small"
                        aria-label={t('referrals.reinstateLabel', { name: entry.name })}
                        disabled={busy}
                        onClick={() => void setStatus(entry, 'reinstate')}
                      >
                        {t('referrals.reinstate')}
                      </button>
                    )}
                  </div>
                </td>
              </>
            ) : null}
          </tr>
        )}
      />
    </section>
  );
}
