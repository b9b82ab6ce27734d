import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Service } from '@mayak/access';
import {
  ExactTimes,
  OutboxJob,
  OutboxWriter,
  preparedStatement,
  runPrepared,
} from '@mayak/platform';
import { EntityManager } from 'typeorm';
import { CaseServiceRegistry } from './case-services';

export interface CasesToOpen {
  contactId: string;
  services: readonly Service[];
  openedBy: string;
  /**
   * When the call began, for a case opened at its intake: the case's plaintext times keep the
   * call's week, as the contact does (a week of the logging time would differ from it for a
   * call logged across Monday midnight, and so say it began just before).
   */
  callStartedAt?: Date;
}

/** Cases and their first events, from one JSON document of rows. */
const OPEN_CASES = preparedStatement(
  'cases.open',
  `WITH ${casesOpenCtes(1)} SELECT count(*)::int AS n FROM cases_opened`,
);

/**
 * The cases and their first events as CTEs of one statement (named cases_*), their rows
 * (CaseOpening.seal) being $first: alone, or beside the rest of an intake. cases_events
 * returns a row for each case, for a statement to wait for them.
 */
export function casesOpenCtes(first: number): string {
  return `cases_v AS (
     SELECT * FROM jsonb_to_recordset($${first}::jsonb) AS v (
       id uuid, service text, priority smallint, contact_id uuid, opened_by uuid,
       day timestamptz, created_enc text, updated_enc text, event_enc text,
       due_day timestamptz, due_enc text)),
   cases_opened AS (
     INSERT INTO cases (id, service, status, priority, contact_id, created_at, created_enc,
                        updated_at, updated_enc, due_at, due_enc)
     SELECT id, service, 'queued', priority, contact_id, day, decode(created_enc, 'base64'),
            day, decode(updated_enc, 'base64'), due_day, decode(due_enc, 'base64')
       FROM cases_v
     RETURNING id),
   cases_events AS (
     INSERT INTO case_events (case_id, actor_id, type, at, at_enc)
     SELECT v.id, v.opened_by, 'created', v.day, decode(v.event_enc, 'base64')
       FROM cases_v v JOIN cases_opened o ON o.id = v.id
     RETURNING case_id)`;
}

/**
 * Opens one case per requested service, each sealed from the others, with its first
 * timeline entry and the routing job, all inside the caller's (intake's) transaction.
 */
@Injectable()
export class CaseOpening {
  constructor(
    private readonly registry: CaseServiceRegistry,
    private readonly outbox: OutboxWriter,
    private readonly times: ExactTimes,
  ) {}

  async open(em: EntityManager, input: CasesToOpen): Promise<string[]> {
    const [ids] = await this.openMany(em, [input]);
    return ids;
  }

  /**
   * `open` for several contacts in one transaction: every case, its first timeline entry and
   * its routing job in two statements, whatever their number. Returns the case ids of each
   * input, in order. (An intake batch writes its cases with the rest of its statement: seal.)
   */
  async openMany(em: EntityManager, inputs: readonly CasesToOpen[]): Promise<string[][]> {
    const { caseIds, jobs, params } = this.seal(inputs);
    if (params) await runPrepared(em, OPEN_CASES, params);
    await this.outbox.add(em, jobs);
    return caseIds;
  }

  /**
   * The cases sealed, with their ids and jobs, and the parameters casesOpenCtes takes to
   * write them (none when there is no case): for a statement that writes them with the rest
   * of their intake.
   */
  seal(inputs: readonly CasesToOpen[]): {
    caseIds: string[][];
    jobs: OutboxJob[];
    params?: unknown[];
  } {
    const opened = inputs.map((input) =>
      input.services.map((service) => ({
        id: randomUUID(),
        definition: this.registry.get(service),
        input,
      })),
    );
    const cases = opened.flat();
    if (cases.length === 0) return { caseIds: opened.map(() => []), jobs: [] };
    // Open work keeps the week in the clear and its exact times sealed (ExactTimes). The due
    // time keeps the week it was set in: its own would tell which days of the week the case
    // opened on (those from which the response time reaches into the next).
    const now = this.times.now();
    const params = [
      JSON.stringify(
        cases.map(({ id, definition, input }) => {
          const due = new Date(now.getTime() + Math.round(definition.responseHours * 60) * 60_000);
          const created = this.times.seal({ table: 'cases', id, column: 'created_at' }, now);
          const dueAt = this.times.seal({ table: 'cases', id, column: 'due_at' }, due);
          const week = input.callStartedAt ? this.times.weekOf(input.callStartedAt) : created.week;
          return {
            id,
            service: definition.service,
            priority: definition.priority,
            contact_id: input.contactId,
            opened_by: input.openedBy,
            day: week,
            created_enc: created.sealed.toString('base64'),
            updated_enc: this.times
              .seal({ table: 'cases', id, column: 'updated_at' }, now)
              .sealed.toString('base64'),
            event_enc: this.times
              .seal({ table: 'case_events', id, column: 'at' }, now)
              .sealed.toString('base64'),
            due_day: week,
            due_enc: dueAt.sealed.toString('base64'),
          };
        }),
      ),
    ];
    return {
      caseIds: opened.map((list) => list.map(({ id }) => id)),
      jobs: cases.map(({ id, definition }) => definition.onOpen(id)),
      params,
    };
  }
}
