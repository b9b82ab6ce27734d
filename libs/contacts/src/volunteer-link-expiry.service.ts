import { Injectable } from '@nestjs/common';
import { withinVolunteerWindow } from '@mayak/access';
import { affectedOf, AppConfig, DecryptionError, EnvelopeCipher } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { openAttributes } from './contact-attributes';
import { CONTACT_COLUMNS, ContactRow, CONTACTS_WITH_FACTS } from './contact-records.service';

/** An intake's idempotency key goes after this long at the latest: a retry needs minutes. */
const IDEMPOTENCY_KEEP_HOURS = 24;

export interface ForgottenLinks {
  contacts: number;
  consents: number;
  caseEvents: number;
  idempotencyKeys: number;
}

/**
 * Who logged a contact is kept only for as long as it is used: the volunteer's window
 * (VOLUNTEER_CONTACT_WINDOW_HOURS), in which they see the contact in "my contacts", may
 * withdraw the caller's consent, and are the origin volunteer of its cases. After it, access
 * already ignores the link (see contact-policy.ts and CaseLoader); this forgets it, so that a
 * seized database cannot say which volunteer took which call. Runs every minute on the
 * maintenance queue; idempotent.
 *
 * The same link is written in three more places at intake, and goes from them at the same
 * moment: the consent's `recorded_by`, the actor of the `created` event of the cases the
 * contact raised, and the intake's idempotency key (the volunteer, and the contact's id in the
 * stored receipt). Idempotency keys are purged here only, at the window's end or after
 * IDEMPOTENCY_KEEP_HOURS, whichever comes first.
 */
@Injectable()
export class VolunteerLinkExpiry {
  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly cipher: EnvelopeCipher,
  ) {}

  async forgetExpired(): Promise<ForgottenLinks> {
    const hours = this.config.VOLUNTEER_CONTACT_WINDOW_HOURS;
    return this.db.transaction(async (em) => {
      // The window runs from the time of logging, which is sealed: open the facts of the
      // contacts still linked (the last window's, a few hundred) and keep those it has passed.
      // A contact whose facts do not open is forgotten too: the safe side.
      const linked: Array<ContactRow & { volunteer_id: string }> = await em.query(
        `SELECT ${CONTACT_COLUMNS}, ct.volunteer_id FROM ${CONTACTS_WITH_FACTS}
          WHERE ct.volunteer_id IS NOT NULL
          FOR UPDATE OF ct SKIP LOCKED`,
      );
      const now = Date.now();
      const expired = linked.filter((row) => {
        try {
          const facts = openAttributes(this.cipher, row.id, row.facts_dek_wrapped, row.facts_enc);
          return !withinVolunteerWindow(new Date(facts.loggedAt), hours, now);
        } catch (error) {
          if (error instanceof DecryptionError) return true;
          throw error;
        }
      });
      const ids = expired.map((c) => c.id);
      const caseEvents = ids.length
        ? affectedOf(
            await em.query(
              `UPDATE case_events e SET actor_id = NULL
                 FROM cases c, unnest($1::uuid[], $2::uuid[]) AS x (contact_id, volunteer_id)
                WHERE c.contact_id = x.contact_id AND e.case_id = c.id
                  AND e.type = 'created' AND e.actor_id = x.volunteer_id`,
              [ids, expired.map((c) => c.volunteer_id)],
            ),
          )
        : 0;
      const consents = ids.length
        ? affectedOf(
            await em.query(
              `UPDATE consents SET recorded_by = NULL WHERE contact_id = ANY($1::uuid[]) AND recorded_by IS NOT NULL`,
              [ids],
            ),
          )
        : 0;
      const contacts = ids.length
        ? affectedOf(
            await em.query(`UPDATE contacts SET volunteer_id = NULL WHERE id = ANY($1::uuid[])`, [
              ids,
            ]),
          )
        : 0;
      const idempotencyKeys = affectedOf(
        await em.query(
          `DELETE FROM idempotency_keys WHERE created_at <= now() - make_interval(hours => least($1::int, $2::int))`,
          [hours, IDEMPOTENCY_KEEP_HOURS],
        ),
      );
      return { contacts, consents, caseEvents, idempotencyKeys };
    });
  }
}
