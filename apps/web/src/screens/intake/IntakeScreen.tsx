import { useState } from 'react';
import { useVocabulary } from '../../api/vocabulary';
import { useI18n } from '../../i18n/i18n';
import type { JustSaved } from './consent-withdrawal';
import { IntakeForm } from './IntakeForm';
import { MyContactsToday } from './MyContactsToday';

/** The volunteer's screen: log the contact in hand, and below it the ones logged today. */
export function IntakeScreen() {
  const { t } = useI18n();
  const vocabulary = useVocabulary();
  const [savedCount, setSavedCount] = useState(0);
  const [justSaved, setJustSaved] = useState<JustSaved | null>(null);
  return (
    <>
      <section className="intake-screen">
        <h1 id="intake-title" tabIndex={-1}>
          {t('intake.title')}
        </h1>
        <IntakeForm
          vocabulary={vocabulary}
          onSaved={(created) => {
            if (created)
              setJustSaved({
                contactId: created.id,
                callerId: created.callerId,
                previousContacts: created.repeatCaller.previousContacts,
              });
            setSavedCount((n) => n + 1);
          }}
        />
      </section>
      <MyContactsToday refreshKey={savedCount} justSaved={justSaved} />
    </>
  );
}
