import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessControl, AccessError, AccessException } from '@mayak/access';
import { AuditEvent, AuditTrail } from '@mayak/audit';
import { Actor } from '@mayak/identity';
import { DecryptionError } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { NATIONWIDE, ReferralKind, ReferralStatus } from './referral-kinds';
import { ReferralError, ReferralException } from './referral.exception';
import {
  ReferralCodes,
  ReferralDetails,
  ReferralEntry,
  ReferralRecords,
  ReferralRow,
} from './referral-records';

export interface ReferralSearch {
  /** A region code: its entries and the nationwide ones. */
  region?: string;
  kind?: ReferralKind;
  /** Part of the name, any case. */
  text?: string;
  /** Retired entries too: for the coordinators who keep the directory. */
  includeRetired?: boolean;
}

export type ReferralInput = ReferralCodes & ReferralDetails;

/** The most entries one answer carries. */
const MAX_RESULTS = 50;

/**
 * The referral directory: vetted organisations and people a caller can be sent to. Kept by
 * coordinators ('referral:manage'); searched by whoever refers a caller ('referral:search').
 *
 * Every entry's details are sealed (ReferralRecords), so a search by name cannot run in SQL:
 * the plain region and kind narrow the rows there, and the few that match are opened here and
 * filtered by name. Every entry whose details are handed to someone is an audited read
 * (`referral:read`, one entry per record), as is every change.
 *
 * Entries are retired, never deleted: a contact refers to its entries by id (sealed under the
 * contact's key), and a caller's case must still say where they were sent after the entry
 * has stopped being offered. A coordinator who must remove what an entry says (an address
 * that became dangerous) edits it: the old details are sealed under a key that the edit
 * destroys.
 */
@Injectable()
export class ReferralDirectory {
  constructor(
    private readonly db: DataSource,
    private readonly records: ReferralRecords,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  async search(actor: Actor, query: ReferralSearch): Promise<ReferralEntry[]> {
    if (query.includeRetired) await this.access.requireCapability(actor, 'referral:manage');
    else await this.access.requireCapability(actor, 'referral:search');
    const rows = await this.records.find({
      regions: query.region ? [query.region, NATIONWIDE] : undefined,
      kind: query.kind,
      statuses: query.includeRetired ? ['active', 'retired'] : ['active'],
    });
    const wanted = normalise(query.text ?? '');
    const found = (await this.openAll(actor, rows))
      .filter((entry) => normalise(entry.name).includes(wanted))
      .sort(byStatusAndName)
      .slice(0, MAX_RESULTS);
    await this.recordReads(actor, found);
    return found;
  }

  /** Entries by id (those a contact was referred to); unknown ids are left out. */
  async read(actor: Actor, ids: readonly string[]): Promise<ReferralEntry[]> {
    await this.access.requireCapability(actor, 'referral:search', undefined, {
      audit: 'denials',
    });
    const found = (await this.openAll(actor, await this.records.byIds(ids))).sort(byStatusAndName);
    await this.recordReads(actor, found);
    return found;
  }

  async create(actor: Actor, input: ReferralInput): Promise<ReferralEntry> {
    await this.access.requireCapability(actor, 'referral:manage', undefined, {
      audit: 'denials',
    });
    const id = randomUUID();
    const { codes, details } = split(input);
    await this.db.transaction(async (em) => {
      await this.records.insert(em, id, codes, details);
      await this.audit.record(change(actor, 'referral:create', id), em);
    });
    return { id, status: 'active', ...codes, ...details };
  }

  async update(actor: Actor, id: string, input: ReferralInput): Promise<ReferralEntry> {
    await this.access.requireCapability(actor, 'referral:manage', undefined, {
      audit: 'denials',
    });
    const { codes, details } = split(input);
    const found = await this.db.transaction(async (em) => {
      if (!(await this.records.update(em, id, codes, details))) return false;
      await this.audit.record(change(actor, 'referral:update', id), em);
      return true;
    });
    if (!found) throw new AccessException(AccessError.NotFound);
    const [row] = await this.records.byIds([id]);
    return { id, status: row.status, ...codes, ...details };
  }

  async retire(actor: Actor, id: string): Promise<void> {
    await this.setStatus(actor, id, 'retired', 'referral:retire');
  }

  async reinstate(actor: Actor, id: string): Promise<void> {
    await this.setStatus(actor, id, 'active', 'referral:reinstate');
  }

  private async setStatus(
    actor: Actor,
    id: string,
    status: ReferralStatus,
    action: string,
  ): Promise<void> {
    await this.access.requireCapability(actor, 'referral:manage', undefined, {
      audit: 'denials',
    });
    const found = await this.db.transaction(async (em) => {
      if (!(await this.records.setStatus(em, id, status))) return false;
      await this.audit.record(change(actor, action, id), em);
      return true;
    });
    if (!found) throw new AccessException(AccessError.NotFound);
  }

  private async openAll(actor: Actor, rows: readonly ReferralRow[]): Promise<ReferralEntry[]> {
    const entries: ReferralEntry[] = [];
    for (const row of rows) {
      try {
        entries.push(this.records.open(row));
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        await this.audit.record({
          actorId: actor.userId,
          action: 'crypto.decrypt',
          recordType: 'referral',
          recordId: row.id,
          outcome: 'failure',
          reason: 'integrity',
        });
        throw new ReferralException(ReferralError.RecordUnreadable);
      }
    }
    return entries;
  }

  private async recordReads(actor: Actor, entries: readonly ReferralEntry[]): Promise<void> {
    await this.audit.record(entries.map((entry) => change(actor, 'referral:read', entry.id)));
  }
}

function change(actor: Actor, action: string, id: string): AuditEvent {
  return { actorId: actor.userId, action, recordType: 'referral', recordId: id, outcome: 'allow' };
}

function split(input: ReferralInput): { codes: ReferralCodes; details: ReferralDetails } {
  return {
    codes: { region: input.region, kind: input.kind },
    details: {
      name: input.name.trim(),
      contactDetails: input.contactDetails.trim(),
      address: input.address.trim(),
      notes: input.notes.trim(),
    },
  };
}

/** Case, spaces and ё do not matter to a volunteer typing a name on a call. */
function normalise(text: string): string {
  return text.toLocaleLowerCase('ru').replaceAll('ё', 'е').replace(/\s+/g, ' ').trim();
}

function byStatusAndName(a: ReferralEntry, b: ReferralEntry): number {
  if (a.status !== b.status) return a.status === 'active' ? -1 : 1;
  return a.name.localeCompare(b.name, 'ru');
}
