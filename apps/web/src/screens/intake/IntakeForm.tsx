import { useEffect, useMemo, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import type {
  ContactCreated,
  EmergencyPaged,
  MyContact,
  NewContact,
  SavedUnderKey,
  Vocabulary,
} from '../../api/types';
import { ErrorSummary, type SummaryItem } from '../../components/ErrorSummary';
import { Field } from '../../components/Field';
import type { Choice } from '../../components/match';
import { Notice } from '../../components/Notice';
import { useCustody, useHoldWhileSealed } from '../../custody/custody';
import { useI18n, type MessageKey } from '../../i18n/i18n';
import { REGION_CITIES } from '../../i18n/region-cities';
import { dropDraft, keepDraft, openDraft } from '../../session/draft-vault';
import { ReferralPicker } from './ReferralPicker';
import { forgetHeld, holdForNextSignIn, takeHeld } from '../../session/held-draft';
import { useMe } from '../../session/session';
import { SealedBanner } from './SealedBanner';
import { CallerFieldset } from './CallerFieldset';
import { CallFieldset } from './CallFieldset';
import { ConsentSection } from './ConsentSection';
import { emergencyPagedMessage } from './emergency-paged';
import { FIELD_IDS } from './field-ids';
import type { FieldsetProps } from './fieldset-props';
import { RequestFieldset } from './RequestFieldset';
import {
  applyChange,
  emptyDraft,
  problemsOf,
  servicesWithoutConsent,
  toRequest,
  type Draft,
  type DraftChange,
} from './draft';
import { formatClock } from './start-time';
import { useCallerLookup } from './useCallerLookup';

export { FIELD_IDS } from './field-ids';

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
  emergencyPaged: EmergencyPaged | undefined;
  /** Danger was marked, but without consent to emergency help nobody is paged. */
  riskWithoutConsent: boolean;
}

/**
 * A save sent and not yet known to be stored: its key and the exact body, frozen at the first
 * attempt (start time, duration), so that every retry sends the very same request and the
 * server answers it from the first one's receipt instead of refusing a changed body.
 */
interface Pending {
  key: string;
  body: NewContact;
}

/**
 * What a sealed form keeps for the same person's next sign-in (see held-draft.ts), and what is
 * kept encrypted across a reload or a crashed tab (see draft-vault.ts).
 */
interface HeldIntake {
  draft: Draft;
  idempotencyKey: string;
  pending?: Pending | null;
}

/** Where a save stands: sent (and slow after 5 s), answer lost, or being checked. */
type Phase = 'idle' | 'saving' | 'slow' | 'unknown' | 'checking';

const SLOW_AFTER_MS = 5_000;
const DRAFT_NAME = 'intake';

/** Not an answer about this request: the save may or may not have been stored. */
function outcomeUnknown(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status === 0 || error.status >= 500;
}

export function IntakeForm({
  vocabulary,
  onSaved,
}: {
  vocabulary: Vocabulary;
  onSaved: (created: ContactCreated | null) => void;
}) {
  const { t, label, time } = useI18n();
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
  const [pending, setPending] = useState<Pending | null>(() => restored?.pending ?? null);
  // A save refused as sealed and held for this sign-in goes again with the same body; the
  // sealed banner and the restored notice have said what happened.
  const [phase, setPhase] = useState<Phase>('idle');
  const [problems, setProblems] = useState<SummaryItem[]>([]);
  const [general, setGeneral] = useState<string | null>(null);
  const [saved, setSaved] = useState<Saved | null>(null);
  const [alreadySaved, setAlreadySaved] = useState<{ contact: MyContact | null } | null>(null);
  const [restoredFromDisk, setRestoredFromDisk] = useState<'draft' | 'pending' | null>(null);
  const [focusRequest, setFocusRequest] = useState(0);
  const busy = phase === 'saving' || phase === 'slow' || phase === 'checking';
  // Fields are frozen while a save is under way or its outcome is unknown: the retry must
  // send what was sent, and nothing typed meanwhile could be part of it.
  const locked = pending !== null;
  const formRef = useRef<HTMLFormElement>(null);
  // Typed into since the form was last empty: only then is there a draft worth keeping.
  const touched = useRef(restored !== undefined);
  // Bumped whenever the kept draft is dropped, so that an encryption still under way for an
  // older draft does not write it back.
  const keptGeneration = useRef(0);
  const lookup = useCallerLookup(draft.identifier);

  if (sealed && !sealedHere) setSealedHere(true);
  useEffect(() => {
    if (sealedHere)
      holdForNextSignIn(me.id, { draft, idempotencyKey, pending } satisfies HeldIntake);
  }, [sealedHere, me.id, draft, idempotencyKey, pending]);

  // A reload or a crashed tab: the draft comes back from its encrypted copy, if this session
  // can still open it (a sealed form's memory hold comes first).
  useEffect(() => {
    if (restored) return;
    let live = true;
    void openDraft<HeldIntake>(DRAFT_NAME, me.id).then((kept) => {
      if (!live || !kept || touched.current) return;
      touched.current = true;
      setDraft(kept.draft);
      setIdempotencyKey(kept.idempotencyKey);
      if (kept.pending) {
        setPending(kept.pending);
        setPhase('unknown');
      }
      setRestoredFromDisk(kept.pending ? 'pending' : 'draft');
    });
    return () => {
      live = false;
    };
  }, [restored, me.id]);

  // Every change is kept, encrypted, a moment after it is typed.
  useEffect(() => {
    if (!touched.current) return;
    const generation = keptGeneration.current;
    const timer = window.setTimeout(() => {
      void keepDraft(
        DRAFT_NAME,
        me.id,
        { draft, idempotencyKey, pending } satisfies HeldIntake,
        () => keptGeneration.current === generation,
      );
    }, 250);
    return () => window.clearTimeout(timer);
  }, [me.id, draft, idempotencyKey, pending]);

  const forgetKept = () => {
    touched.current = false;
    keptGeneration.current += 1;
    dropDraft(DRAFT_NAME, me.id);
  };

  // After a save (or a clear), the next call starts on the first field.
  useEffect(() => {
    if (focusRequest > 0) formRef.current?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
  }, [focusRequest]);

  const change = (delta: DraftChange) => {
    if (locked) return;
    touched.current = true;
    setDraft((current) => applyChange(current, delta));
    setSaved(null);
    setAlreadySaved(null);
    setRestoredFromDisk(null);
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

  // A save that takes long says so, and keeps what was typed on screen.
  useEffect(() => {
    if (phase !== 'saving') return;
    const timer = window.setTimeout(() => setPhase('slow'), SLOW_AFTER_MS);
    return () => window.clearTimeout(timer);
  }, [phase]);

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
  // A consent problem fixed since the last attempt leaves the summary at once.
  const shownProblems = problems.filter(
    (p) =>
      !p.target.startsWith('intake-consent-service-') ||
      missingConsent.some((service) => p.target === `intake-consent-service-${service}`),
  );
  const fieldError = (id: string) => shownProblems.find((p) => p.target === id)?.message;

  /** The form starts over for the next call: empty, a new key, nothing kept. */
  const startNext = (region: string) => {
    forgetHeld();
    forgetKept();
    setSealedHere(false);
    setDraft(emptyDraft(new Date(), region));
    setIdempotencyKey(newKey());
    setPending(null);
    setPhase('idle');
    setRestoredFromDisk(null);
    setFocusRequest((n) => n + 1);
  };

  const stored = (created: ContactCreated, attempt: Pending) => {
    const body = attempt.body;
    rememberRegion(me.id, body.region);
    const emergencyConsent = body.consent.scopes.includes('service:emergency');
    setSaved({
      caseCount: created.caseIds.length,
      previousContacts: created.repeatCaller.previousContacts,
      emergency: emergencyConsent && (body.immediateRisk || body.services.includes('emergency')),
      emergencyPaged: created.emergencyPaged,
      riskWithoutConsent: body.immediateRisk && !emergencyConsent,
    });
    startNext(body.region);
    onSaved(created);
  };

  /**
   * The key was refused as used for a different request: the contact may well be saved
   * already. Ask the server what this key stored, and say which contact it is.
   */
  const checkSaved = async (attempt: Pending) => {
    setPhase('checking');
    try {
      const answer = await api.post<SavedUnderKey>('/api/contacts/saved-under-key', {
        idempotencyKey: attempt.key,
      });
      if (answer.saved) {
        const mine = await api.get<MyContact[]>('/api/contacts/mine').catch(() => []);
        setAlreadySaved({ contact: mine.find((c) => c.id === answer.contactId) ?? null });
        rememberRegion(me.id, attempt.body.region);
        startNext(attempt.body.region);
        onSaved(null);
      } else {
        // Nothing under that key: the form is editable again and saves under a new one.
        setPending(null);
        setIdempotencyKey(newKey());
        setPhase('idle');
        setGeneral(t('intake.notSaved'));
      }
    } catch {
      setPhase('unknown');
    }
  };

  const send = async (attempt: Pending) => {
    setPending(attempt);
    setPhase('saving');
    try {
      const created = await api.post<ContactCreated>('/api/contacts', attempt.body, {
        headers: { 'Idempotency-Key': attempt.key },
      });
      stored(created, attempt);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'idempotency_key_reused') {
        await checkSaved(attempt);
        return;
      }
      if (outcomeUnknown(error)) {
        // Sealed, the banner says what to do; otherwise the pending notice does.
        setPhase('unknown');
        return;
      }
      // A refusal: nothing was stored, and the form is editable again under the same key.
      setPending(null);
      setPhase('idle');
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
      } else setGeneral(errorMessage(t, error));
    }
  };

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (busy || sealed) return;
    setGeneral(null);
    setSaved(null);
    setAlreadySaved(null);
    // A save whose outcome is unknown goes again exactly as it went the first time.
    if (pending) {
      await send(pending);
      return;
    }
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
    if (found.length > 0) return;
    touched.current = true;
    await send({ key: idempotencyKey, body: toRequest(draft, at) });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key !== 'Enter') return;
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      void submit();
      return;
    }
    // Plain Enter in a field never saves (the browser's implicit submission): a volunteer
    // presses it out of habit mid-call. In the summary it is a new line; on a button it
    // presses the button.
    const target = event.target as HTMLElement;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement)
      event.preventDefault();
  };

  const parts: FieldsetProps = { draft, vocabulary, change, fieldError };

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
      {restoredFromDisk === 'draft' ? (
        <Notice tone="info">{t('intake.restoredDraft')}</Notice>
      ) : null}
      <ErrorSummary items={shownProblems} general={general} />
      {phase === 'slow' ? <Notice tone="info">{t('intake.stillTrying')}</Notice> : null}
      {phase === 'checking' ? <Notice tone="info">{t('intake.checking')}</Notice> : null}
      {phase === 'unknown' && !sealedHere ? (
        <Notice tone="warning">
          {restoredFromDisk === 'pending'
            ? t('intake.restoredPending')
            : t('intake.unknownOutcome')}
        </Notice>
      ) : null}
      {alreadySaved ? (
        <Notice tone="success">
          {alreadySaved.contact
            ? t('intake.alreadySaved', {
                when: time(alreadySaved.contact.startedAt),
                channel: label('channels', alreadySaved.contact.channel),
                region: label('regions', alreadySaved.contact.region),
              })
            : t('intake.alreadySavedUnlisted')}
        </Notice>
      ) : null}
      {saved ? (
        <Notice tone="success">
          {t('intake.saved')}{' '}
          {saved.caseCount > 0 ? t('intake.savedCases', { count: saved.caseCount }) : null}{' '}
          {saved.emergency ? t(emergencyPagedMessage(saved.emergencyPaged)) : null}{' '}
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
        <fieldset className="intake__column intake__lockable" disabled={locked}>
          <CallFieldset {...parts} regions={choices.regions} now={now} />
          <CallerFieldset {...parts} lookup={lookup} />
          <RequestFieldset {...parts} topics={choices.topics} missingConsent={missingConsent} />
        </fieldset>

        <div className="intake__column">
          <fieldset className="intake__lockable" disabled={locked}>
            <ConsentSection
              draft={draft}
              vocabulary={vocabulary}
              missing={missingConsent}
              onChange={change}
              fieldError={fieldError}
            />
          </fieldset>

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
                  disabled={locked}
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
            {draft.outcome === 'referred' ? (
              <ReferralPicker
                region={draft.region}
                value={draft.referrals ?? []}
                onChange={(referrals) => change({ referrals })}
                disabled={locked}
              />
            ) : null}
            <div className="intake__buttons">
              <button type="submit" className="button button--primary" disabled={busy || sealed}>
                {phase === 'checking'
                  ? t('intake.checking')
                  : busy
                    ? t('intake.saving')
                    : phase === 'unknown' && !sealedHere
                      ? t('intake.retry')
                      : t('intake.save')}{' '}
                <kbd className="shortcut">{t('intake.saveShortcut')}</kbd>
              </button>
              <button
                type="button"
                className="button button--secondary"
                disabled={busy}
                onClick={() => {
                  // A new key: whatever comes next is a new contact.
                  startNext(draft.region);
                  setProblems([]);
                  setGeneral(null);
                  setSaved(null);
                  setAlreadySaved(null);
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
