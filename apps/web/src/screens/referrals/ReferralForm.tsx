import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import { NATIONWIDE, REFERRAL_KINDS, type Referral, type ReferralInput } from '../../api/types';
import { Combobox } from '../../components/Combobox';
import { ErrorSummary, type SummaryItem } from '../../components/ErrorSummary';
import { Field } from '../../components/Field';
import type { Choice } from '../../components/match';
import { useI18n } from '../../i18n/i18n';
import { REGION_CITIES } from '../../i18n/region-cities';
import { kindLabel } from './referral-words';

const FIELD = {
  name: 'referral-name',
  kind: 'referral-kind',
  region: 'referral-region',
  contactDetails: 'referral-contact-details',
  address: 'referral-address',
  notes: 'referral-notes',
} as const;

const EMPTY: ReferralInput = {
  region: '',
  kind: 'shelter',
  name: '',
  contactDetails: '',
  address: '',
  notes: '',
};

/**
 * A directory entry, new or edited (coordinators): everything but region and kind is sealed
 * by the server, so the form says nothing about what may be typed beyond "no caller data".
 */
export function ReferralForm({
  entry,
  regions,
  onSaved,
  onCancel,
}: {
  /** The entry to edit, or null for a new one. */
  entry: Referral | null;
  regions: readonly string[];
  onSaved: (saved: Referral) => void;
  onCancel: () => void;
}) {
  const { t, label } = useI18n();
  const [form, setForm] = useState<ReferralInput>(() =>
    entry
      ? {
          region: entry.region,
          kind: entry.kind,
          name: entry.name,
          contactDetails: entry.contactDetails,
          address: entry.address,
          notes: entry.notes,
        }
      : EMPTY,
  );
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fieldError = (id: string) => problems.find((p) => p.target === id)?.message;
  const set = (change: Partial<ReferralInput>) => setForm((f) => ({ ...f, ...change }));

  const regionChoices = useMemo((): Choice[] => {
    const federal = regions
      .filter((code) => code !== 'unknown')
      .map((code) => ({
        value: code,
        label: label('regions', code),
        keywords: [code, ...(REGION_CITIES[code] ?? [])],
      }))
      .sort((a, b) => a.label.localeCompare(b.label));
    return [{ value: NATIONWIDE, label: t('referrals.nationwide') }, ...federal];
  }, [regions, label, t]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: SummaryItem[] = [];
    if (!form.name.trim()) found.push({ target: FIELD.name, message: t('referrals.nameRequired') });
    if (!form.region) found.push({ target: FIELD.region, message: t('referrals.regionRequired') });
    setProblems(found);
    setGeneral(null);
    if (found.length > 0) return;
    setBusy(true);
    try {
      const saved = entry
        ? await api.put<Referral>(`/api/referrals/${entry.id}`, form)
        : await api.post<Referral>('/api/referrals', form);
      onSaved(saved);
    } catch (error) {
      setGeneral(errorMessage(t, error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="panel referral-form"
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-labelledby="referral-form-title"
    >
      <h2 id="referral-form-title">{entry ? t('referrals.editTitle') : t('referrals.newTitle')}</h2>
      <ErrorSummary items={problems} general={general} />
      <Field id={FIELD.name} label={t('referrals.name')} error={fieldError(FIELD.name)}>
        {(control) => (
          <input
            {...control}
            className="input"
            autoComplete="off"
            maxLength={200}
            value={form.name}
            onChange={(event) => set({ name: event.target.value })}
          />
        )}
      </Field>
      <div className="row row--2">
        <Field id={FIELD.kind} label={t('referrals.kind')}>
          {(control) => (
            <select
              {...control}
              className="input"
              value={form.kind}
              onChange={(event) => set({ kind: event.target.value })}
            >
              {REFERRAL_KINDS.map((code) => (
                <option key={code} value={code}>
                  {kindLabel(t, code)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id={FIELD.region} label={t('referrals.region')} error={fieldError(FIELD.region)}>
          {(control) => (
            <Combobox
              control={control}
              choices={regionChoices}
              value={form.region}
              onChange={(region) => set({ region })}
              required
            />
          )}
        </Field>
      </div>
      <Field
        id={FIELD.contactDetails}
        label={t('referrals.contactDetails')}
        hint={t('referrals.contactDetailsHint')}
      >
        {(control) => (
          <textarea
            {...control}
            className="input"
            rows={2}
            maxLength={1000}
            value={form.contactDetails}
            onChange={(event) => set({ contactDetails: event.target.value })}
          />
        )}
      </Field>
      <Field id={FIELD.address} label={t('referrals.address')}>
        {(control) => (
          <input
            {...control}
            className="input"
            autoComplete="off"
            maxLength={500}
            value={form.address}
            onChange={(event) => set({ address: event.target.value })}
          />
        )}
      </Field>
      <Field id={FIELD.notes} label={t('referrals.notes')} hint={t('referrals.notesHint')}>
        {(control) => (
          <textarea
            {...control}
            className="input"
            rows={3}
            maxLength={5000}
            value={form.notes}
            onChange={(event) => set({ notes: event.target.value })}
          />
        )}
      </Field>
      <div className="referral-form__buttons">
        <button type="submit" className="button button--primary" disabled={busy}>
          {t('referrals.save')}
        </button>
        <button type="button" className="button button--secondary" onClick={onCancel}>
          {t('referrals.cancel')}
        </button>
      </div>
    </form>
  );
}
