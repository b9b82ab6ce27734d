import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Service } from '@mayak/access';
import { OutboxWriter } from '@mayak/platform';
import { EntityManager } from 'typeorm';
import { CaseServiceRegistry } from './case-services';

export interface CasesToOpen {
  contactId: string;
  services: readonly Service[];
  openedBy: string;
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
  ) {}

  async open(em: EntityManager, input: CasesToOpen): Promise<string[]> {
    const [ids] = await this.openMany(em, [input]);
    return ids;
  }

  /**
   * `open` for the contacts of one group-committed transaction: every case, its first
   * timeline entry and its routing job in two statements, whatever their number. Returns the
   * case ids of each input, in order.
   */
  async openMany(em: EntityManager, inputs: readonly CasesToOpen[]): Promise<string[][]> {
    const opened = inputs.map((input) =>
      input.services.map((service) => ({
        id: randomUUID(),
        definition: this.registry.get(service),
        input,
      })),
    );
    const cases = opened.flat();
    if (cases.length === 0) return opened.map(() => []);
    await em.query(
      `WITH v AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS v (
           id uuid, service text, priority smallint, response_hours float8, contact_id uuid, opened_by uuid)),
       opened AS (
         INSERT INTO cases (id, service, status, priority, contact_id, due_at)
         SELECT id, service, 'queued', priority, contact_id,
                now() + make_interval(mins => (response_hours * 60)::int)
           FROM v
         RETURNING id)
       INSERT INTO case_events (case_id, actor_id, type)
       SELECT v.id, v.opened_by, 'created' FROM v JOIN opened o ON o.id = v.id`,
      [
        JSON.stringify(
          cases.map(({ id, definition, input }) => ({
            id,
            service: definition.service,
            priority: definition.priority,
            response_hours: definition.responseHours,
            contact_id: input.contactId,
            opened_by: input.openedBy,
          })),
        ),
      ],
    );
    await this.outbox.add(
      em,
      cases.map(({ id, definition }) => definition.onOpen(id)),
    );
    return opened.map((list) => list.map(({ id }) => id));
  }
}
