import { useEffect, useMemo, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type { ContactCreated, Service, Vocabulary } from '../../api/types';
import { Combobox, MultiCombobox } from '../../components/Combobox';
import { ErrorSummary, type SummaryItem } from '../../components/ErrorSummary';
import { Field } from '../../components/Field';
import type { Choice } from '../../components/match';
import { Notice } from '../../components/Notice';
import { useCustody, useHoldWhileSealed } from '../../custody/custody';
import { useI18n, type MessageKey } from '../../i18n/i18n';
import { REGION_CITIES } from '../../i18n/region-cities';
import { forgetHeld, holdForNextSignIn, takeHeld } from '../../session/held-draft';
import { useMe } from '../../session/session';
import { SealedBanner } from './SealedBanner';
import { ConsentSection } from './ConsentSection';
import {
  applyChange,
  emptyDraft,
  problemsOf,
  servicesWithoutConsent,
  toRequest,
  type Draft,
  type DraftChange,
} from './draft';
import { formatClock, parseClock } from './start-time';
import { useCallerLookup } from './useCallerLookup';

/** Control ids: the error summary links to them, and server field paths map onto them. */
export const FIELD_IDS = {
  channel: 'intake-channel',
  startedAt: 'intake-started-at',
  duration: 'intake-duration',
  region: 'intake-region',
  identifier: 'intake-identifier',
  pseudonym: 'intake-pseudonym',
  ageBand: 'intake-age-band',
  genderIdentity: 'intake-gender-identity',
  orientation: 'intake-orientation',
  topics: 'intake-topics',
  immediateRisk: 'intake-immediate-risk',
  summary: 'intake-summary',
  services: 'intake-service-legal',
  consent: 'intake-consent-service-legal',
  contactBackChannel: 'intake-contact-back-channel',
  contactBackSafeTimes: 'intake-contact-back-safe-times',
  retention: 'intake-retention',
  outcome: 'intake-outcome',
} as const;

/** Where each field of the API's 400 answer is on the form, and what it is called. */
const SERVER_FIELDS: Record<string, [string, MessageKey]> = {
  channel: [FIELD_IDS.channel, 'intake.channel'],
  startedAt: [FIELD_IDS.startedAt, 'intake.startedAt'],
  durationSeconds: [FIELD_IDS.duration, 'intake.duration'],
  region: [FIELD_IDS.region, 'intake.region'],
  'caller.identifier': [FIELD_IDS.identifier, 'intake.identifier'],
  'caller.pseudonym': [FIELD_IDS.pseudonym, 'intake.pseudonym'],
  'caller.ageBand': [FIELD_IDS.ageBand, 'intake.ageBand'],
  'caller.genderIdentity': [FIELD_IDS.genderIdentity, 'intake.genderIdentity'],
  'caller.orientation': [FIELD_IDS.orientation, 'intake.orientation'],
  topics: [FIELD_IDS.topics, 'intake.topics'],
  immediateRisk: [FIELD_IDS.immediateRisk, 'intake.immediateRisk'],
  summary: [FIELD_IDS.summary, 'intake.summary'],
  outcome: [FIELD_IDS.outcome, 'intake.outcome'],
  services: [FIELD_IDS.services, 'intake.services'],
  'consent.scopes': [FIELD_IDS.consent, 'intake.consent'],
  'consent.retentionDays': [FIELD_IDS.retention, 'intake.retention'],
  'consent.contactBack.channel': [FIELD_IDS.contactBackChannel, 'intake.contactBackChannel'],
  'consent.contactBack.safeTimes': [FIELD_IDS.contactBackSafeTimes, 'intake.contactBackSafeTimes'],
};

const lastRegionKey = (userId: string) => `mayak.intake.lastRegion.${userId}`;

function rememberedRegion(userId: string): string {
  try {
    return localStorage.getItem(lastRegionKey(userId)) ?? '';
  } catch {
    return '';
  }
}

function rememberRegion(userId: string, region: string): void {
  try {
    localStorage.setItem(lastRegionKey(userId), region);
  } catch {
    // Not remembered; the next form starts without a region.
  }
}

const newKey = () => crypto.randomUUID();

interface Saved {
  caseCount: number;
  previousContacts: number;
  /** An emergency was raised: the responder on call is being paged. */
  emergency: boolean;
  /** Danger was marked, but without consent to emergency help nobody is paged. */
  riskWithoutConsent: boolean;
}

/** What a sealed form keeps for the same person's next sign-in (see held-draft.ts). */
interface HeldIntake {
  draft: Draft;
  idempotencyKey: string;
}

export function IntakeForm({
  vocabulary,
  onSaved,
}: {
  vocabulary: Vocabulary;
  onSaved: (created: ContactCreated) => void;
}) {
  const { t, label, date } = useI18n();
  const me = useMe();
  // Sealed under this form, nothing typed is lost: the form stays on screen (the hold), and
  // what was typed comes back after the fresh sign-in that unsealing may need.
  useHoldWhileSealed();
  const { sealed } = useCustody();
  const [restored] = useState(() => takeHeld<HeldIntake>(me.id));
  const [sealedHere, setSealedHere] = useState(false);
  const [draft, setDraft] = useState<Draft>(
    () => restored?.draft ?? emptyDraft(new Date(), rememberedRegion(me.id)),
  );
  const [now, setNow] = useState(() => new Date());
  // One key per contact: a double press or a retry after a lost answer saves it once.
  const [idempotencyKey, setIdempotencyKey] = useState(() => restored?.idempotencyKey ?? newKey());
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const [saved, setSaved] = useState<Saved | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const lookup = useCallerLookup(draft.identifier);

  if (sealed && !sealedHere) setSealedHere(true);
  useEffect(() => {
    if (sealedHere) holdForNextSignIn(me.id, { draft, idempotencyKey } satisfies HeldIntake);
  }, [sealedHere, me.id, draft, idempotencyKey]);

  const change = (delta: DraftChange) => {
    setDraft((current) => applyChange(current, delta));
    setSaved(null);
  };

  // The clock moves on: the start time follows it until edited, the duration hint always.
  useEffect(() => {
    const timer = window.setInterval(() => {
      const current = new Date();
      setNow(current);
      setDraft((d) => (d.startedAtEdited ? d : { ...d, startedAt: formatClock(current) }));
    }, 15_000);
    return () => window.clearInterval(timer);
  }, []);

  const choices = useMemo(() => {
    const of = (kind: 'regions' | 'topics', codes: string[]): Choice[] =>
      codes.map((code) => ({
        value: code,
        label: label(kind, code),
        keywords: kind === 'regions' ? [code, ...(REGION_CITIES[code] ?? [])] : [code],
      }));
    const last = new Set(['unknown', 'abroad']);
    const regions = of('regions', vocabulary.regions).sort((a, b) =>
      last.has(a.value) !== last.has(b.value)
        ? Number(last.has(a.value)) - Number(last.has(b.value))
        : a.label.localeCompare(b.label),
    );
    return { regions, topics: of('topics', vocabulary.topics) };
  }, [vocabulary, label]);

  const missingConsent = servicesWithoutConsent(draft);
  const startedAt = parseClock(draft.startedAt, now);
  const elapsedMinutes = startedAt
    ? Math.max(0, Math.round((now.getTime() - startedAt.getTime()) / 60_000))
    : 0;
  // A consent problem fixed since the last attempt leaves the summary at once.
  const shownProblems = problems.filter(
    (p) =>
      !p.target.startsWith('intake-consent-service-') ||
      missingConsent.some((service) => p.target === `intake-consent-service-${service}`),
  );
  const fieldError = (id: string) => shownProblems.find((p) => p.target === id)?.message;

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (busy || sealed) return;
    const at = new Date();
    const found: SummaryItem[] = problemsOf(draft, at).flatMap((problem): SummaryItem[] => {
      switch (problem) {
        case 'region':
          return [{ target: FIELD_IDS.region, message: t('intake.error.region') }];
        case 'startedAt':
          return [{ target: FIELD_IDS.startedAt, message: t('intake.error.startedAt') }];
        case 'duration':
          return [{ target: FIELD_IDS.duration, message: t('intake.error.duration') }];
        case 'consent':
          return missingConsent.map((service) => ({
            target: `intake-consent-service-${service}`,
            message: t('intake.missingConsent', { service: label('services', service) }),
          }));
      }
    });
    setProblems(found);
    setGeneral(null);
    setSaved(null);
    if (found.length > 0) return;
    setBusy(true);
    try {
      const created = await api.post<ContactCreated>('/api/contacts', toRequest(draft, at), {
        headers: { 'Idempotency-Key': idempotencyKey },
      });
      rememberRegion(me.id, draft.region);
      forgetHeld();
      setSealedHere(false);
      const emergencyConsent = draft.scopes.includes('service:emergency');
      setSaved({
        caseCount: created.caseIds.length,
        previousContacts: created.repeatCaller.previousContacts,
        emergency:
          emergencyConsent && (draft.immediateRisk || draft.services.includes('emergency')),
        riskWithoutConsent: draft.immediateRisk && !emergencyConsent,
      });
      setDraft(emptyDraft(new Date(), draft.region));
      setIdempotencyKey(newKey());
      onSaved(created);
      formRef.current?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        const fromServer = Object.keys(error.fields).map((path): SummaryItem => {
          const known = SERVER_FIELDS[path];
          if (error.code === 'consent_missing' && path === 'services')
            return {
              target: FIELD_IDS.consent,
              message: t('intake.missingConsent', {
                service: missingConsent.map((s) => label('services', s)).join(', ') || path,
              }),
            };
          return {
            target: known?.[0] ?? FIELD_IDS.channel,
            message: t('error.fieldInvalid', { field: known ? t(known[1]) : path }),
          };
        });
        setProblems(fromServer);
        setGeneral(fromServer.length === 0 ? errorMessage(t, error) : null);
      } else if (!(error instanceof ApiError && error.code === 'sealed'))
        // Sealed, the banner says what to do, in both languages.
        setGeneral(errorMessage(t, error));
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') {
      event.preventDefault();
      void submit();
    }
  };

  const selectOf = (
    id: string,
    labelKey: MessageKey,
    kind: 'ageBands' | 'genderIdentities' | 'orientations',
    key: 'ageBand' | 'genderIdentity' | 'orientation',
  ) => (
    <Field id={id} label={t(labelKey)} error={fieldError(id)}>
      {(control) => (
        <select
          {...control}
          className="input"
          value={draft[key]}
          onChange={(event) => change({ [key]: event.target.value })}
        >
          <option value="">{t('intake.notAsked')}</option>
          {vocabulary[kind].map((code) => (
            <option key={code} value={code}>
              {label(kind, code)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );

  const toggleService = (service: Service, on: boolean) =>
    change({
      services: on ? [...draft.services, service] : draft.services.filter((s) => s !== service),
    });

  return (
    <form
      ref={formRef}
      className="intake"
      onSubmit={(event) => void submit(event)}
      onKeyDown={onKeyDown}
      noValidate
      aria-labelledby="intake-title"
    >
      {sealed ? (
        <SealedBanner state="sealed" />
      ) : sealedHere ? (
        <SealedBanner state="unsealedAgain" />
      ) : null}
      {restored && !sealedHere && !saved ? (
        <Notice tone="info">{t('intake.restored')}</Notice>
      ) : null}
      <ErrorSummary items={shownProblems} general={general} />
      {saved ? (
        <Notice tone="success">
          {t('intake.saved')}{' '}
          {saved.caseCount > 0 ? t('intake.savedCases', { count: saved.caseCount }) : null}{' '}
          {saved.emergency ? t('intake.savedEmergency') : null}{' '}
          {saved.previousContacts > 0
            ? t('intake.repeat', { count: saved.previousContacts })
            : null}{' '}
          {saved.previousContacts > 0 ? t('intake.savedWithdrawHint') : null}
        </Notice>
      ) : null}
      {saved?.riskWithoutConsent ? (
        <Notice tone="warning">{t('intake.savedRiskWithoutConsent')}</Notice>
      ) : null}

      <div className="intake__columns">
        <div className="intake__column">
          <fieldset className="group">
            <legend>{t('intake.section.call')}</legend>
            <fieldset className="field radio-row" id={FIELD_IDS.channel} tabIndex={-1}>
              <legend className="field__label">{t('intake.channel')}</legend>
              {vocabulary.channels.map((code) => (
                <label key={code} className="radio">
                  <input
                    type="radio"
                    name="channel"
                    value={code}
                    checked={draft.channel === code}
                    onChange={() => change({ channel: code })}
                    {...(draft.channel === code ? { 'data-autofocus': true } : {})}
                  />
                  {label('channels', code)}
                </label>
              ))}
            </fieldset>
            <div className="row row--when">
              <Field
                id={FIELD_IDS.startedAt}
                label={t('intake.startedAt')}
                hint={
                  startedAt && startedAt.getDate() !== now.getDate()
                    ? t('intake.yesterday', { date: date(startedAt) })
                    : t('intake.today')
                }
                error={fieldError(FIELD_IDS.startedAt)}
              >
                {(control) => (
                  <input
                    {...control}
                    className="input input--short"
                    inputMode="numeric"
                    autoComplete="off"
                    placeholder={t('intake.startedAtPlaceholder')}
                    value={draft.startedAt}
                    onChange={(event) =>
                      change({ startedAt: event.target.value, startedAtEdited: true })
                    }
                  />
                )}
              </Field>
              <Field
                id={FIELD_IDS.duration}
                label={t('intake.duration')}
                hint={t('intake.durationHint', { minutes: elapsedMinutes })}
                error={fieldError(FIELD_IDS.duration)}
              >
                {(control) => (
                  <input
                    {...control}
                    className="input input--short"
                    inputMode="numeric"
                    autoComplete="off"
                    value={draft.durationMinutes}
                    onChange={(event) => change({ durationMinutes: event.target.value })}
                  />
                )}
              </Field>
              <Field
                id={FIELD_IDS.region}
                label={t('intake.region')}
                hint={t('intake.regionHint')}
                error={fieldError(FIELD_IDS.region)}
              >
                {(control) => (
                  <Combobox
                    control={control}
                    choices={choices.regions}
                    value={draft.region}
                    onChange={(region) => change({ region })}
                    required
                  />
                )}
              </Field>
            </div>
          </fieldset>

          <fieldset className="group">
            <legend>{t('intake.section.caller')}</legend>
            <div className="row row--2">
              <Field
                id={FIELD_IDS.identifier}
                label={t('intake.identifier')}
                hint={t('intake.identifierHint')}
                error={fieldError(FIELD_IDS.identifier)}
              >
                {(control) => (
                  <input
                    {...control}
                    className="input"
                    autoComplete="off"
                    spellCheck={false}
                    value={draft.identifier}
                    onChange={(event) => change({ identifier: event.target.value })}
                  />
                )}
              </Field>
              <Field
                id={FIELD_IDS.pseudonym}
                label={t('intake.pseudonym')}
                hint={t('intake.pseudonymHint')}
                error={fieldError(FIELD_IDS.pseudonym)}
              >
                {(control) => (
                  <input
                    {...control}
                    className="input"
                    autoComplete="off"
                    value={draft.pseudonym}
                    onChange={(event) => change({ pseudonym: event.target.value })}
                  />
                )}
              </Field>
            </div>
            <div className="repeat-caller" aria-live="polite">
              {lookup.status === 'done' && lookup.previousContacts > 0 ? (
                <p className="notice notice--info repeat-caller__found">
                  {t('intake.repeat', { count: lookup.previousContacts })}
                </p>
              ) : lookup.status === 'done' ? (
                <p className="field__hint">{t('intake.firstContact')}</p>
              ) : lookup.status === 'failed' ? (
                <p className="field__hint">{t('intake.lookupFailed')}</p>
              ) : null}
            </div>
            <div className="row row--3">
              {selectOf(FIELD_IDS.ageBand, 'intake.ageBand', 'ageBands', 'ageBand')}
              {selectOf(
                FIELD_IDS.genderIdentity,
                'intake.genderIdentity',
                'genderIdentities',
                'genderIdentity',
              )}
              {selectOf(FIELD_IDS.orientation, 'intake.orientation', 'orientations', 'orientation')}
            </div>
          </fieldset>

          <fieldset className="group">
            <legend>{t('intake.section.request')}</legend>
            <Field
              id={FIELD_IDS.topics}
              label={t('intake.topics')}
              hint={t('intake.topicsHint')}
              error={fieldError(FIELD_IDS.topics)}
            >
              {(control) => (
                <MultiCombobox
                  control={control}
                  choices={choices.topics}
                  values={draft.topics}
                  onChange={(topics) => change({ topics })}
                />
              )}
            </Field>
            <div className={draft.immediateRisk ? 'risk risk--on' : 'risk'}>
              <button
                id={FIELD_IDS.immediateRisk}
                type="button"
                role="switch"
                aria-checked={draft.immediateRisk}
                className="switch"
                onClick={() => change({ immediateRisk: !draft.immediateRisk })}
              >
                <span className="switch__track" aria-hidden="true">
                  <span className="switch__thumb" />
                </span>
                <span className="switch__label">{t('intake.immediateRisk')}</span>
              </button>
              {draft.immediateRisk ? (
                <p className="risk__note" role="alert">
                  {t('intake.immediateRiskOn')}
                </p>
              ) : null}
            </div>
            <fieldset className="field checks" id="intake-services">
              <legend className="field__label">{t('intake.services')}</legend>
              <div className="checks checks--inline">
                {vocabulary.services
                  .filter((s): s is Service => s === 'legal' || s === 'psych' || s === 'emergency')
                  .map((service) => (
                    <label key={service} className="check">
                      <input
                        id={`intake-service-${service}`}
                        type="checkbox"
                        checked={draft.services.includes(service)}
                        onChange={(event) => toggleService(service, event.target.checked)}
                      />
                      {label('services', service)}
                    </label>
                  ))}
              </div>
              {missingConsent.map((service) => (
                <p key={service} className="notice notice--warning" role="alert">
                  {t('intake.missingConsent', { service: label('services', service) })}
                </p>
              ))}
            </fieldset>

            <Field
              id={FIELD_IDS.summary}
              label={t('intake.summary')}
              hint={t('intake.summaryHint')}
              error={fieldError(FIELD_IDS.summary)}
            >
              {(control) => (
                <textarea
                  {...control}
                  className="input"
                  rows={3}
                  maxLength={4000}
                  value={draft.summary}
                  onChange={(event) => change({ summary: event.target.value })}
                />
              )}
            </Field>
          </fieldset>
        </div>

        <div className="intake__column">
          <ConsentSection
            draft={draft}
            vocabulary={vocabulary}
            missing={missingConsent}
            onChange={change}
            fieldError={fieldError}
          />

          <div className="intake__finish">
            <Field
              id={FIELD_IDS.outcome}
              label={t('intake.outcome')}
              error={fieldError(FIELD_IDS.outcome)}
            >
              {(control) => (
                <select
                  {...control}
                  className="input"
                  value={draft.outcome}
                  onChange={(event) => change({ outcome: event.target.value, outcomeEdited: true })}
                >
                  {vocabulary.contactOutcomes.map((code) => (
                    <option key={code} value={code}>
                      {label('contactOutcomes', code)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <div className="intake__buttons">
              <button type="submit" className="button button--primary" disabled={busy || sealed}>
                {busy ? t('intake.saving') : t('intake.save')}{' '}
                <kbd className="shortcut">{t('intake.saveShortcut')}</kbd>
              </button>
              <button
                type="button"
                className="button button--secondary"
                onClick={() => {
                  forgetHeld();
                  setSealedHere(false);
                  setDraft(emptyDraft(new Date(), draft.region));
                  setProblems([]);
                  setGeneral(null);
                  setSaved(null);
                }}
              >
                {t('intake.clear')}
              </button>
            </div>
          </div>
        </div>
      </div>
    </form>
  );
}
