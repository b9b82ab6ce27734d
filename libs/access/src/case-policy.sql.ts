import { Actor } from '@mayak/identity';
import { CASE_POLICY, CaseAction, CaseRule } from './case-policy';
import { SERVICE_ROLE, SERVICES } from './scopes';

/**
 * The case policy as a SQL predicate, so that list queries apply it inside the WHERE
 * clause and never load rows they may not return. It interprets the same CASE_POLICY table
 * as decideCase. Assumes the case table is aliased `c` with columns service, status,
 * assignee_id and contact_id, and the consents table is named `consents`.
 */
export interface SqlScope {
  sql: string;
  params: unknown[];
}

/** The caller's consent still covers the case's service (cases aliased `c`). */
export const CONSENT_COVERS_SERVICE_SQL = `EXISTS (SELECT 1 FROM consents cs WHERE cs.contact_id = c.contact_id
                 AND ('service:' || c.service) = ANY(cs.scopes)
                 AND NOT (('service:' || c.service) = ANY(cs.withdrawn_scopes)))`;

export function caseScopeSql(actor: Actor, action: CaseAction, firstParam = 1): SqlScope {
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${firstParam + params.length - 1}`;
  };
  const clauses = CASE_POLICY[action]
    .map((rule) => ruleSql(rule, actor, param))
    .filter((c): c is string => c !== null);
  // Deny by default: no rule that could match this actor means no rows, never "all rows".
  return { sql: clauses.length ? `(${clauses.join(' OR ')})` : 'false', params };
}

function ruleSql(rule: CaseRule, actor: Actor, param: (v: unknown) => string): string | null {
  const parts: string[] = [];
  if (rule.roles === 'service-role') {
    const services = SERVICES.filter(
      (s) => actor.roles.includes(SERVICE_ROLE[s]) && (!rule.only || rule.only.includes(s)),
    );
    if (services.length === 0) return null;
    parts.push(`c.service = ANY(${param(services)}::text[])`);
  } else {
    if (!rule.roles.some((r) => actor.roles.includes(r))) return null;
    if (rule.only) parts.push(`c.service = ANY(${param(rule.only)}::text[])`);
  }
  switch (rule.relation) {
    case 'assignee':
      parts.push(`c.assignee_id = ${param(actor.userId)}::uuid`);
      break;
    case 'pool':
      parts.push(
        `c.status = 'queued' AND c.assignee_id IS NULL AND NOT (${param(actor.userId)}::uuid = ANY(c.declined_by))`,
      );
      break;
    case 'paged':
      parts.push(
        `EXISTS (SELECT 1 FROM emergency_pages p WHERE p.case_id = c.id AND ${param(actor.userId)}::uuid = ANY(p.recipients))`,
      );
      break;
    case 'handover-recipient':
      parts.push(
        `EXISTS (SELECT 1 FROM case_handovers h WHERE h.case_id = c.id AND h.status = 'pending' AND h.to_id = ${param(actor.userId)}::uuid)`,
      );
      break;
    case 'break-glass':
    case 'origin-volunteer':
      // Time-bound relations are decided record by record, never granted to a whole list.
      throw new Error(`the ${rule.relation} relation has no list form`);
    case 'any':
      break;
  }
  const covered = CONSENT_COVERS_SERVICE_SQL;
  switch (rule.consent) {
    case 'service':
      parts.push(covered);
      break;
    case 'withdrawn':
      parts.push(`NOT ${covered}`);
      break;
    case 'none':
      break;
  }
  return parts.length ? `(${parts.join(' AND ')})` : 'true';
}
