import { Injectable } from '@nestjs/common';
import { AccessControl, AccessError, AccessException, CaseAction, CaseView } from '@mayak/access';
import { AuditEvent, AuditTrail } from '@mayak/audit';
import { Actor } from '@mayak/identity';
import { DomainException } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { CaseLoader, LoadedCase } from './case-facts';

export interface CaseWork<T> {
  (em: EntityManager, loaded: LoadedCase, view: CaseView): Promise<T>;
}

/**
 * Every change to a case goes through here: lock the case, judge the action on the locked
 * state with the one policy, do the work, and append the decision to the audit trail as
 * the transaction's last statement. A denial (404) or a refused change (409) is recorded
 * after the rollback, on its own.
 */
@Injectable()
export class CaseTransaction {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly loader: CaseLoader,
  ) {}

  async run<T>(
    actor: Actor,
    action: CaseAction,
    caseId: string,
    work: CaseWork<T>,
    options: { breakGlass?: boolean } = {},
  ): Promise<T> {
    let afterRollback: AuditEvent | undefined;
    try {
      return await this.db.transaction(async (em) => {
        const loaded = await this.loader.load(em, caseId, true);
        const judgement = this.access.judgeCase(actor, action, caseId, loaded?.facts);
        if (!judgement.allowed || !loaded) {
          afterRollback = judgement.event;
          throw new AccessException(AccessError.NotFound);
        }
        if (options.breakGlass) judgement.event.breakGlass = true;
        afterRollback = { ...judgement.event, outcome: 'failure' };
        const result = await work(em, loaded, judgement.view);
        await this.audit.record(judgement.event, em);
        afterRollback = undefined;
        return result;
      });
    } catch (error) {
      if (afterRollback && error instanceof DomainException) {
        // A denial keeps its reason; a refused change records the refusal's code.
        const reason =
          error instanceof AccessException
            ? afterRollback.reason
            : (error as DomainException<string>).code;
        await this.audit.record({ ...afterRollback, reason });
      }
      throw error;
    }
  }
}
