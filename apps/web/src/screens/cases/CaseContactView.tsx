import type { ReactNode } from 'react';
import type { CaseContact } from '../../api/types';
import { useI18n, type MessageKey } from '../../i18n/i18n';
import { ReferredToLoaded } from '../referrals/ReferredTo';
import { duration } from './case-words';

const ERASED_KEY: Record<string, MessageKey> = {
  summary: 'case.erased.summary',
  pseudonym: 'case.erased.pseudonym',
  contactBack: 'case.erased.contactBack',
  referrals: 'case.erased.referrals',
};

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="facts__item">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/**
 * The contact that raised the case, as far as the caller's consent covers it. Fields that
 * were destroyed (consent withdrawn, retention passed) are named as erased, never guessed at.
 */
export function CaseContactView({ contact }: { contact: CaseContact | null }) {
  const { t, label, dateTime } = useI18n();
  if (contact === null)
    return (
      <section className="panel" aria-labelledby="case-contact-title">
        <h2 id="case-contact-title">{t('case.contact')}</h2>
        <p className="muted">{t('case.contactGone')}</p>
      </section>
    );
  const erased = new Set(contact.erased);
  const caller = contact.caller;
  const profile = [
    caller.ageBand ? label('ageBands', caller.ageBand) : null,
    caller.genderIdentity ? label('genderIdentities', caller.genderIdentity) : null,
    caller.orientation ? label('orientations', caller.orientation) : null,
  ].filter((part): part is string => part !== null);
  return (
    <section className="panel" aria-labelledby="case-contact-title">
      <h2 id="case-contact-title">{t('case.contact')}</h2>
      {contact.immediateRisk ? <p className="risk-flag">{t('case.immediateRisk')}</p> : null}
      <dl className="facts facts--stacked">
        <Row term={t('case.contactWhen')}>
          {dateTime(contact.startedAt)} · {label('channels', contact.channel)} ·{' '}
          {duration(t, contact.durationSeconds)}
        </Row>
        <Row term={t('cases.region')}>{label('regions', contact.region)}</Row>
        <Row term={t('case.pseudonym')}>
          {erased.has('pseudonym') ? (
            <span className="erased">{t('case.erasedValue')}</span>
          ) : (
            (caller.pseudonym ?? <span className="muted">{t('case.notGiven')}</span>)
          )}
        </Row>
        {profile.length > 0 ? <Row term={t('case.profile')}>{profile.join(' · ')}</Row> : null}
        {contact.topics.length > 0 ? (
          <Row term={t('cases.topics')}>
            {contact.topics.map((code) => label('topics', code)).join(', ')}
          </Row>
        ) : null}
        <Row term={t('case.summary')}>
          {erased.has('summary') ? (
            <span className="erased">{t('case.erasedValue')}</span>
          ) : contact.summary ? (
            <span className="prewrap">{contact.summary}</span>
          ) : (
            <span className="muted">{t('case.notGiven')}</span>
          )}
        </Row>
        <Row term={t('case.contactOutcome')}>{label('contactOutcomes', contact.outcome)}</Row>
        {contact.referralIds && contact.referralIds.length > 0 ? (
          <Row term={t('case.referrals')}>
            <ReferredToLoaded ids={contact.referralIds} detailed />
          </Row>
        ) : null}
        {contact.contactBack ? (
          <Row term={t('case.contactBack')}>
            <span className="secret-inline">{contact.contactBack.identifier}</span>
            {contact.contactBack.contactBack ? (
              <>
                {' '}
                · {label('channels', contact.contactBack.contactBack.channel)}
                {contact.contactBack.contactBack.safeTimes
                  ? ` · ${t('case.safeTimes')}: ${contact.contactBack.contactBack.safeTimes}`
                  : null}
              </>
            ) : null}
          </Row>
        ) : erased.has('contactBack') ? (
          <Row term={t('case.contactBack')}>
            <span className="erased">{t('case.erasedValue')}</span>
          </Row>
        ) : (
          <Row term={t('case.contactBack')}>
            <span className="muted">{t('case.noContactBack')}</span>
          </Row>
        )}
      </dl>
      {contact.erased.length > 0 ? (
        <p className="field__hint">
          {t('case.erasedList', {
            fields: contact.erased
              .map((field) => (ERASED_KEY[field] ? t(ERASED_KEY[field]) : field))
              .join(', '),
          })}
        </p>
      ) : null}
    </section>
  );
}
