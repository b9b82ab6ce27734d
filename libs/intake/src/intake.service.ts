import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccessControl, ConsentScope, Service, serviceScope } from '@mayak/access';
import { AuditTrail, auditAppend, CALLER_NUMBER_RECORD } from '@mayak/audit';
import { CaseOpening, casesOpenCtes } from '@mayak/cases';
import {
  CallerHistory,
  CallerHistoryReader,
  CallerRegistry,
  CallerToRecognise,
  callersWriteCtes,
  CallerWrites,
  callerWriteParams,
  ContactBackDetails,
  ContactRecords,
  contactsInsertCtes,
} from '@mayak/contacts';
import { FirstPaged, RotaService } from '@mayak/emergency';
import { Actor } from '@mayak/identity';
import { ReferralRecords } from '@mayak/referrals';
import {
  AppConfig,
  Clock,
  EnvelopeCipher,
  GroupCommit,
  KeyedHash,
  OutboxWriter,
  outboxInsert,
  PgError,
  pgErrorCode,
  preparedStatement,
  runPrepared,
  statsRollupJob,
} from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { CallerLookupLimit } from './caller-lookup-limit';
import { IntakeError, IntakeException } from './intake.exception';
import {
  AgeBand,
  Channel,
  ContactOutcome,
  GenderIdentity,
  Orientation,
  Region,
  Topic,
} from './vocabulary';

/** One call, chat or message, as the volunteer logs it. */
export interface NewContact {
  channel: Channel;
  startedAt: Date;
  durationSeconds: number;
  region: Region;
  caller?: {
    pseudonym?: string;
    ageBand?: AgeBand;
    genderIdentity?: GenderIdentity;
    orientation?: Orientation;
    /** Phone number or messenger handle; only ever stored hashed (and encrypted under contact_back). */
    identifier?: string;
  };
  topics: Topic[];
  immediateRisk: boolean;
  summary?: string;
  outcome: ContactOutcome;
  consent: {
    scopes: ConsentScope[];
    textVersion: string;
    retentionDays: number;
    contactBack?: ContactBackDetails;
  };
  services: Service[];
  /** Entries of the referral directory the caller was sent to (outcome `referred`). */
  referralIds?: string[];
}

export interface IntakeReceipt {
  id: string;
  callerId: string;
  caseIds: string[];
  repeatCaller: { previousContacts: number };
  /**
   * With an emergency opened: who its first page goes to (RotaService.firstPaged), read from
   * the rota in the intake's own transaction; the worker pages moments later by the same rule.
   */
  emergencyPaged?: FirstPaged;
}

/** An intake that passed every check, waiting for its transaction. */
interface IntakeToWrite {
  actorId: string;
  input: NewContact;
  services: Service[];
  idempotency?: { key: string; requestHash: Buffer };
}

/** The most intakes one transaction writes. */
const MAX_BATCH = 64;
/**
 * Intake transactions under way at once on a host, at most; each holds one pooled connection.
 * API processes (API_PROCESSES) share them out (at least one each): every process running four
 * would halve each one's batches with two processes, double the statements and commits each
 * contact costs, and put twice the backends on the same cores, for no more throughput (two
 * processes cost 77% more CPU per contact that way on two cores).
 */
const MAX_TRANSACTIONS = 4;

/** This process's share of MAX_TRANSACTIONS, within its pool (leaving room for the rest). */
export function intakeTransactions(config: {
  API_PROCESSES: number;
  DATABASE_POOL_SIZE: number;
}): number {
  const share = Math.ceil(MAX_TRANSACTIONS / Math.max(1, config.API_PROCESSES));
  return Math.max(1, Math.min(share, config.DATABASE_POOL_SIZE - 2));
}

/**
 * An intake batch's writes in one statement: its callers' rows (callersWriteCtes, $1-$14), its
 * contacts with their facts, consents and statistics marks ($15-$16), its cases with their
 * first events ($17), its audit entries ($18-$26), without a transaction of its own its
 * idempotency keys with their answers ($31-$35; a key claimed already fails it on the primary
 * key), and its outbox rows ($27-$30). Foreign keys are checked at the end of the statement,
 * so the contacts' cases and facts can go in beside them.
 *
 * `written` waits for every other part, and fails the statement when a known caller's row was
 * not updated (it changed after the read). The outbox rows go in last, after it: every intake
 * of the same few seconds writes the rollup's key, and one that meets another's uncommitted
 * key waits for its commit, so the key is held for the least time. (PostgreSQL runs a CTE
 * nothing reads after the main query, the last first: the rollup's key would otherwise be
 * held through the whole statement.)
 */
const WRITE_INTAKES = preparedStatement(
  'intake.write',
  `WITH ${callersWriteCtes(1)},
   ${contactsInsertCtes(15)},
   ${casesOpenCtes(17)},
   audit_added AS (${auditAppend(18, true)}),
   answers_added AS (
     INSERT INTO idempotency_keys (actor_id, key, request_hash, status_code, response_enc, contact_ref)
     SELECT actor_id, key, request_hash, 201, response_enc, contact_ref
       FROM unnest($31::uuid[], $32::text[], $33::bytea[], $34::bytea[], $35::bytea[])
         AS a (actor_id, key, request_hash, response_enc, contact_ref)
      ORDER BY 1, 2
     RETURNING 1),
   written AS (
     SELECT CASE WHEN (SELECT count(*) FROM callers_moved) = cardinality($8::uuid[]) THEN true
                 ELSE intake_conflict() END
            AND (SELECT count(*) FROM callers_added) + (SELECT count(*) FROM contacts_facts)
              + (SELECT count(*) FROM contacts_marked) + (SELECT count(*) FROM contacts_consents)
              + (SELECT count(*) FROM cases_events) + (SELECT count(*) FROM audit_added)
              + (SELECT count(*) FROM answers_added) >= 0 AS ok)
   ${outboxInsert(27, 'written')}`,
);

/**
 * Logs a contact. In ONE transaction: the caller (recognised by keyed hash), the contact and
 * its consent, one case per requested service, the routing jobs in the outbox, and the audit
 * entry. With an Idempotency-Key, a retried submit returns the first receipt and creates
 * nothing new, even when the two arrive at the same moment.
 *
 * Concurrent intakes share their transaction (group commit, see GroupCommit): the intakes
 * that arrive while earlier ones are being written go into the next transaction together,
 * usually one read of their callers and one statement (see write), so a busy hour costs the
 * database two statements per batch rather than a dozen per call, and a quiet one two round
 * trips per call rather than eight. Each intake still commits or fails whole, and one that
 * fails fails alone.
 */
@Injectable()
export class IntakeService {
  private readonly committer: GroupCommit<IntakeToWrite, IntakeReceipt | undefined>;

  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly callers: CallerRegistry,
    private readonly contacts: ContactRecords,
    private readonly cases: CaseOpening,
    private readonly outbox: OutboxWriter,
    private readonly cipher: EnvelopeCipher,
    private readonly hash: KeyedHash,
    config: AppConfig,
    private readonly lookupLimit: CallerLookupLimit,
    private readonly referrals: ReferralRecords,
    private readonly history: CallerHistoryReader,
    private readonly rota: RotaService,
    private readonly clock: Clock,
  ) {
    this.committer = new GroupCommit((items) => this.write(items), {
      maxBatch: MAX_BATCH,
      maxInFlight: intakeTransactions(config),
      keyOf: idempotencyScope,
      // One caller's intakes lock their caller row: one transaction at a time carries them
      // all, rather than several queued on the lock. (In memory only, never stored.)
      affinityOf: (item) => item.input.caller?.identifier,
    });
  }

  async log(actor: Actor, input: NewContact, idempotencyKey?: string): Promise<IntakeReceipt> {
    // The contact's own audit entry records an allowed intake; a denial is recorded here.
    await this.access.requireCapability(actor, 'contact:create', undefined, { audit: 'denials' });
    this.checkConsent(input);
    checkReferralOutcome(input);
    // Danger to life or liberty, with consent to emergency help: an emergency, asked for or not.
    const services = [
      ...new Set<Service>([
        ...input.services,
        ...(input.immediateRisk && input.consent.scopes.includes('service:emergency')
          ? (['emergency'] as const)
          : []),
      ]),
    ];
    const idempotency = idempotencyKey
      ? { key: idempotencyKey, requestHash: hashRequest(input) }
      : undefined;
    const receipt = await this.committer.submit({
      actorId: actor.userId,
      input,
      services,
      idempotency,
    });
    return receipt ?? this.replay(actor, idempotency!.key, idempotency!.requestHash);
  }

  /**
   * Writes a batch of intakes. Most batches (no referral, no emergency) take two round trips
   * and no transaction of their own: their callers read, unlocked, then everything written
   * in one statement (WRITE_INTAKES), which PostgreSQL runs as one transaction. That
   * statement fails whole, writing nothing, when a caller it read changed meanwhile, a new
   * caller was added meanwhile, or an idempotency key was already claimed; the batch is then
   * written the locking way (writeLocked), which settles each of those as it always did.
   */
  private async write(items: readonly IntakeToWrite[]): Promise<Array<IntakeReceipt | undefined>> {
    if (items.every((i) => !i.input.referralIds?.length && !i.services.includes('emergency')))
      try {
        const receipts = await this.writeUnlocked(items);
        if (receipts) return receipts;
      } catch (error) {
        const code = pgErrorCode(error);
        if (code !== PgError.SerializationFailure && code !== PgError.UniqueViolation) throw error;
      }
    return this.writeLocked(items);
  }

  /** The batch in one statement, after an unlocked read of its callers (see write). */
  private async writeUnlocked(
    items: readonly IntakeToWrite[],
  ): Promise<IntakeReceipt[] | undefined> {
    const callers = await this.callers.recogniseUnlocked(this.db, items.map(callerOf));
    if (!callers) return undefined;
    const { receipts, params } = this.seal(items, callers);
    const answers = items
      .map((item, n) => [item, receipts[n]] as const)
      .filter(([item]) => item.idempotency);
    await runPrepared(this.db, WRITE_INTAKES, [
      ...params,
      answers.map(([i]) => i.actorId),
      answers.map(([i]) => i.idempotency!.key),
      answers.map(([i]) => i.idempotency!.requestHash),
      ...this.sealAnswers(answers),
    ]);
    return receipts;
  }

  /**
   * The batch in one transaction, its callers' rows locked. An intake whose idempotency key
   * was already claimed (a retry, or its twin in another transaction, which this one waits
   * for) writes nothing and gets no receipt here: its caller replays the first answer.
   */
  private async writeLocked(
    items: readonly IntakeToWrite[],
  ): Promise<Array<IntakeReceipt | undefined>> {
    return this.db.transaction(async (em) => {
      const claimed = await this.claimKeys(em, items);
      const toWrite = items.filter((i) => !i.idempotency || claimed.has(idempotencyScope(i)!));
      if (toWrite.length === 0) return items.map(() => undefined);
      await this.checkReferrals(em, toWrite);
      const callers = await this.callers.recogniseLocked(em, toWrite.map(callerOf));
      const paged = toWrite.some(isEmergency)
        ? await this.rota.firstPaged(em, this.clock.now())
        : undefined;
      const { receipts, params } = this.seal(toWrite, callers, paged);
      const answers = toWrite
        .map((item, n) => [item, receipts[n]] as const)
        .filter(([item]) => item.idempotency);
      await this.storeAnswers(em, answers);
      // The outbox rows go in the last statement (see WRITE_INTAKES).
      await runPrepared(em, WRITE_INTAKES, [...params, [], [], [], [], []]);
      const byItem = new Map(toWrite.map((item, n) => [item, receipts[n]]));
      return items.map((item) => byItem.get(item));
    });
  }

  /**
   * Everything the batch writes, sealed here, as WRITE_INTAKES's parameters up to the
   * idempotency answers: the callers' rows, the contacts (with facts, consents and statistics
   * marks), the cases (with first events), the audit entries, and the outbox rows (the cases'
   * jobs and the rollup).
   */
  private seal(
    items: readonly IntakeToWrite[],
    callers: CallerWrites,
    paged?: FirstPaged,
  ): { receipts: IntakeReceipt[]; params: unknown[] } {
    const recognised = callers.recognised;
    const contacts = this.contacts.seal(
      items.map(({ actorId, input, services }, n) => ({
        volunteerId: actorId,
        callerId: recognised[n].callerId,
        callerTag: recognised[n].tag,
        channel: input.channel,
        startedAt: input.startedAt,
        durationSeconds: input.durationSeconds,
        region: input.region,
        pseudonym: input.caller?.pseudonym,
        ageBand: input.caller?.ageBand,
        genderIdentity: input.caller?.genderIdentity,
        orientation: input.caller?.orientation,
        topics: [...new Set(input.topics)],
        immediateRisk: input.immediateRisk,
        summary: input.summary,
        outcome: input.outcome,
        services,
        referralIds: input.referralIds ?? [],
        consent: {
          scopes: [...new Set(input.consent.scopes)],
          textVersion: input.consent.textVersion,
          retentionDays: input.consent.retentionDays,
        },
      })),
    );
    const cases = this.cases.seal(
      items.map(({ actorId, input, services }, n) => ({
        contactId: contacts.ids[n].contactId,
        services,
        openedBy: actorId,
        callStartedAt: input.startedAt,
      })),
    );
    const receipts = items.map((item, n) => ({
      id: contacts.ids[n].contactId,
      callerId: recognised[n].callerId,
      caseIds: cases.caseIds[n],
      repeatCaller: { previousContacts: recognised[n].previousContacts },
      ...(paged && isEmergency(item) ? { emergencyPaged: paged } : {}),
    }));
    const audit = this.audit.columnsOf(
      items.map((item, n) => ({
        actorId: item.actorId,
        action: 'contact:create',
        recordType: 'contact',
        recordId: contacts.ids[n].contactId,
        outcome: 'allow' as const,
      })),
    );
    return {
      receipts,
      params: [
        ...callerWriteParams(callers),
        ...contacts.params,
        ...(cases.params ?? ['[]']),
        ...audit,
        ...this.outbox.paramsOf([...cases.jobs, statsRollupJob()]),
      ],
    };
  }

  /** Claims the batch's idempotency keys, first thing, so a concurrent twin waits for us. */
  private async claimKeys(
    em: EntityManager,
    items: readonly IntakeToWrite[],
  ): Promise<Set<string>> {
    const keyed = items.filter((i) => i.idempotency);
    if (keyed.length === 0) return new Set();
    const rows: Array<{ actor_id: string; key: string }> = await em.query(
      `INSERT INTO idempotency_keys (actor_id, key, request_hash)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[]) ORDER BY 1, 2
       ON CONFLICT (actor_id, key) DO NOTHING RETURNING actor_id, key`,
      [
        keyed.map((i) => i.actorId),
        keyed.map((i) => i.idempotency!.key),
        keyed.map((i) => i.idempotency!.requestHash),
      ],
    );
    return new Set(rows.map((r) => `${r.actor_id}\n${r.key}`));
  }

  /** What a retry with the same key will be answered. */
  private async storeAnswers(
    em: EntityManager,
    answers: ReadonlyArray<readonly [IntakeToWrite, IntakeReceipt]>,
  ): Promise<void> {
    if (answers.length === 0) return;
    await em.query(
      `UPDATE idempotency_keys k SET status_code = 201, response_enc = v.response_enc, contact_ref = v.contact_ref
         FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::bytea[]) AS v (actor_id, key, response_enc, contact_ref)
        WHERE k.actor_id = v.actor_id AND k.key = v.key`,
      [
        answers.map(([i]) => i.actorId),
        answers.map(([i]) => i.idempotency!.key),
        ...this.sealAnswers(answers),
      ],
    );
  }

  /** The answers as stored: each receipt sealed, and its contact's keyed pseudonym. */
  private sealAnswers(
    answers: ReadonlyArray<readonly [IntakeToWrite, IntakeReceipt]>,
  ): [Buffer[], Buffer[]] {
    return [
      answers.map(([i, receipt]) =>
        this.cipher.encrypt(
          this.receiptKey(),
          receiptBinding(i.actorId, i.idempotency!.key),
          JSON.stringify(receipt),
        ),
      ),
      answers.map(([, receipt]) => idempotencyContactRef(this.hash, receipt.id)),
    ];
  }

  /**
   * Whether a number called before, and the earlier contacts the caller's consent lets the
   * volunteer on the call see (CallerHistoryReader: the day, services and outcome of each):
   * limited per account and hour (CallerLookupLimit), and audited with a keyed pseudonym of
   * the number (record type `caller_number`; `npm run cli -- audit find --caller-number N`
   * finds an investigator the lookups of one number), the history read as `caller:history`.
   */
  async lookup(
    actor: Actor,
    identifier: string,
  ): Promise<{ previousContacts: number } & CallerHistory> {
    const number = {
      type: CALLER_NUMBER_RECORD,
      id: this.hash.callerIdentifiers(identifier)[0].hash.toString('hex'),
    };
    await this.access.requireCapability(actor, 'caller:lookup', number);
    await this.lookupLimit.take(actor, number);
    const previousContacts = await this.callers.previousContacts(identifier);
    if (previousContacts === 0) return { previousContacts, earlierContacts: [], hiddenContacts: 0 };
    const history = await this.history.of(identifier);
    // Without the number of rows: beside the number's pseudonym it would say how often the
    // caller called, which nothing at rest may (CallerLinks).
    await this.audit.record({
      actorId: actor.userId,
      action: 'caller:history',
      recordType: number.type,
      recordId: number.id,
      outcome: 'allow',
    });
    return { previousContacts, ...history };
  }

  /**
   * Every referral of the batch must be an active entry of the directory: one statement for
   * the whole batch, and only when some intake of it refers. An intake that names another
   * fails the batch, which GroupCommit then writes one by one, so it fails alone.
   */
  private async checkReferrals(em: EntityManager, items: readonly IntakeToWrite[]): Promise<void> {
    const ids = [...new Set(items.flatMap((i) => i.input.referralIds ?? []))];
    if (ids.length === 0) return;
    const active = await this.referrals.activeAmong(em, ids);
    if (ids.every((id) => active.has(id))) return;
    throw new IntakeException(
      IntakeError.ReferralInvalid,
      'A referral is not an active entry of the directory.',
      { referralIds: ['each referral must be an active entry of the referral directory'] },
    );
  }

  private checkConsent(input: NewContact): void {
    const missing = [...new Set(input.services)].filter(
      (s) => !input.consent.scopes.includes(serviceScope(s)),
    );
    if (missing.length > 0)
      throw new IntakeException(
        IntakeError.ConsentMissing,
        'A requested service lacks the caller’s consent.',
        {
          services: missing.map((s) => `${s} needs the consent scope ${serviceScope(s)}`),
        },
      );
    if (input.consent.contactBack && !input.consent.scopes.includes('contact_back'))
      throw new IntakeException(
        IntakeError.ConsentMissing,
        'Contact-back details need the contact_back consent scope.',
        {
          'consent.contactBack': ['consent.contactBack needs the consent scope contact_back'],
        },
      );
  }

  /**
   * Sealed under a key derived from the pseudonym key: the stored answer names the caller,
   * and outlives nothing but the volunteer's window.
   */
  private receiptKey() {
    return this.hash.derivedDataKey('mayak:intake-receipt:v1');
  }

  /**
   * What a volunteer's own Idempotency-Key saved, if anything: the answer to "was it saved?"
   * after a save whose answer was lost, or refused as a reused key (the form then says
   * which contact it became). A key is only ever looked up within its own volunteer's keys.
   */
  async savedUnder(actor: Actor, key: string): Promise<{ saved: boolean; contactId?: string }> {
    await this.access.requireCapability(actor, 'contact:create', undefined, { audit: 'denials' });
    const receipt = await this.storedReceipt(actor, key);
    return receipt.response ? { saved: true, contactId: receipt.response.id } : { saved: false };
  }

  private async storedReceipt(
    actor: Actor,
    key: string,
  ): Promise<{ requestHash?: Buffer; response?: IntakeReceipt }> {
    const rows: Array<{
      request_hash: Buffer;
      response_enc: Buffer | null;
      response: IntakeReceipt | null;
    }> = await this.db.query(
      `SELECT request_hash, response_enc, response FROM idempotency_keys WHERE actor_id = $1 AND key = $2`,
      [actor.userId, key],
    );
    const row = rows[0];
    if (!row) return {};
    const response = row.response_enc
      ? (JSON.parse(
          this.cipher.decrypt(
            this.receiptKey(),
            receiptBinding(actor.userId, key),
            row.response_enc,
          ),
        ) as IntakeReceipt)
      : (row.response ?? undefined);
    return { requestHash: row.request_hash, ...(response ? { response } : {}) };
  }

  private async replay(actor: Actor, key: string, requestHash: Buffer): Promise<IntakeReceipt> {
    const { requestHash: stored, response } = await this.storedReceipt(actor, key);
    if (!stored || !response || !stored.equals(requestHash))
      throw new IntakeException(
        IntakeError.IdempotencyKeyReused,
        'This Idempotency-Key was used for a different request.',
        {
          'Idempotency-Key': ['was used before for a different request'],
        },
      );
    return response;
  }
}

/** A referral is an outcome: referrals travel only with the outcome `referred`. */
function checkReferralOutcome(input: NewContact): void {
  if (input.referralIds?.length && input.outcome !== 'referred')
    throw new IntakeException(
      IntakeError.ReferralInvalid,
      'Referrals go with the outcome referred.',
      { referralIds: ['referralIds need the outcome referred'] },
    );
}

/**
 * How a stored intake answer names its contact, for retention to delete it with the contact:
 * a keyed pseudonym, so that the key's exact time is not tied to the contact in the clear.
 */
export function idempotencyContactRef(hash: KeyedHash, contactId: string): Buffer {
  return hash.pseudonym('idempotency-contact', contactId);
}

function receiptBinding(actorId: string, key: string) {
  return { table: 'idempotency_keys', id: `${actorId}/${key}`, column: 'response' };
}

function isEmergency(item: IntakeToWrite): boolean {
  return item.services.includes('emergency');
}

/** The intake's caller, as the caller registry recognises them. */
function callerOf({ input }: IntakeToWrite): CallerToRecognise {
  return {
    identifier: input.caller?.identifier,
    contactBack: input.consent.scopes.includes('contact_back')
      ? { details: input.consent.contactBack }
      : undefined,
  };
}

/** Who and which key: a retry must not share a transaction with its first attempt. */
function idempotencyScope(item: IntakeToWrite): string | undefined {
  return item.idempotency && `${item.actorId}\n${item.idempotency.key}`;
}

/** A stable hash of the request: same fields and values, same hash, whatever the key order. */
function hashRequest(input: NewContact): Buffer {
  const canonical = (value: unknown): unknown => {
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.keys(value as Record<string, unknown>)
          .sort()
          .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
      );
    return value;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(input)))
    .digest();
}
