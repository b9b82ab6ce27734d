import { Injectable } from '@nestjs/common';
import { AccessControl, contactScopeSql, decideContact } from '@mayak/access';
import { Actor } from '@mayak/identity';
import { AppConfig } from '@mayak/platform';
import { DataSource } from 'typeorm';
import {
  CONTACT_COLUMNS,
  CONTACTS_WITH_FACTS,
  ContactRecords,
  ContactRow,
  ContactView,
} from './contact-records.service';

/** A case the contact raised, as far as its volunteer may know it: which service, how far along. */
export interface ContactCase {
  id: string;
  service: string;
  status: string;
}

export interface MyContact extends ContactView {
  caseIds: string[];
  /**
   * The same cases with their service and status, so that the volunteer's screen can offer to
   * escalate the legal or psychological one (and show that an emergency is already open).
   */
  cases: ContactCase[];
}

/** "My contacts today": what a volunteer logged within their window, and nothing older. */
@Injectable()
export class VolunteerContactsService {
  constructor(
    private readonly db: DataSource,
    private readonly records: ContactRecords,
    private readonly access: AccessControl,
    private readonly config: AppConfig,
  ) {}

  async listMine(actor: Actor): Promise<MyContact[]> {
    await this.access.requireCapability(actor, 'contact:list-mine');
    const scope = contactScopeSql(actor, this.config.VOLUNTEER_CONTACT_WINDOW_HOURS);
    const rows: Array<ContactRow & { case_ids: string[]; cases: ContactCase[] }> =
      await this.db.query(
        `SELECT ${CONTACT_COLUMNS},
              coalesce((SELECT array_agg(c.id ORDER BY c.service, c.created_at) FROM cases c WHERE c.contact_id = ct.id), '{}') AS case_ids,
              coalesce((SELECT json_agg(json_build_object('id', c.id, 'service', c.service, 'status', c.status)
                                        ORDER BY c.service, c.created_at)
                          FROM cases c WHERE c.contact_id = ct.id), '[]') AS cases
         FROM ${CONTACTS_WITH_FACTS}
        WHERE ${scope.sql}
        ORDER BY ct.created_at DESC
        LIMIT 500`,
        scope.params,
      );
    const hours = this.config.VOLUNTEER_CONTACT_WINDOW_HOURS;
    const now = Date.now();
    const mine: MyContact[] = [];
    for (const row of rows) {
      const view = await this.records.view(row, actor.userId);
      // The SQL scope is by day; the window itself runs from the sealed time of logging.
      const decision = decideContact(
        actor,
        { volunteerId: actor.userId, createdAt: view.createdAt },
        hours,
        now,
      );
      if (decision.allowed) mine.push({ ...view, caseIds: row.case_ids, cases: row.cases });
    }
    mine.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    await this.access.recordList(actor, 'contact:list-mine', mine.length);
    return mine;
  }
}
