import { Actor } from '@mayak/identity';
import { CASE_FIELDS, CaseFacts, couldEverAllow, decideCase, mayReassignTo } from './case-policy';

const lawyer: Actor = { userId: 'lawyer-1', roles: ['lawyer'] };
const otherLawyer: Actor = { userId: 'lawyer-2', roles: ['lawyer'] };
const psychologist: Actor = { userId: 'psych-1', roles: ['psychologist'] };
const coordinatorOther: Actor = { userId: 'c-3', roles: ['coordinator'] };

function legalCase(overrides: Partial<CaseFacts> = {}): CaseFacts {
  return {
    service: 'legal',
    status: 'queued',
    assigneeId: null,
    scopes: ['service:legal'],
    pagedUserIds: [],
    breakGlassUserIds: [],
    originVolunteerId: null,
    declinedBy: [],
    ...overrides,
  };
}

describe('claiming a case (decideCase)', () => {
  it('a case waiting in its pool may be claimed by the service it asks for', () => {
    expect(decideCase(lawyer, 'case:claim', legalCase())).toMatchObject({ allowed: true });
    expect(decideCase(psychologist, 'case:claim', legalCase())).toEqual({
      allowed: false,
      reason: 'role',
    });
  });

  it("someone else's case, or one's own, is not in the pool: denied like a missing one", () => {
    const taken = legalCase({ status: 'assigned', assigneeId: otherLawyer.userId });
    expect(decideCase(lawyer, 'case:claim', taken)).toEqual({
      allowed: false,
      reason: 'relation',
    });
    const mine = legalCase({ status: 'in_progress', assigneeId: lawyer.userId });
    expect(decideCase(lawyer, 'case:claim', mine)).toEqual({ allowed: false, reason: 'relation' });
    expect(decideCase(lawyer, 'case:claim', legalCase({ status: 'closed' }))).toEqual({
      allowed: false,
      reason: 'relation',
    });
  });

  it('a case whose caller withdrew the service is not claimable', () => {
    expect(decideCase(lawyer, 'case:claim', legalCase({ scopes: [] }))).toEqual({
      allowed: false,
      reason: 'consent',
    });
  });
});

describe('a declined case (decideCase)', () => {
  it('never returns to the pool of the one who declined it; others may still claim it', () => {
    const declined = legalCase({ declinedBy: [lawyer.userId] });
    expect(decideCase(lawyer, 'case:claim', declined)).toEqual({
      allowed: false,
      reason: 'relation',
    });
    expect(decideCase(otherLawyer, 'case:claim', declined)).toMatchObject({ allowed: true });
  });
});

describe('lists no rule could fill (couldEverAllow)', () => {
  const responder: Actor = { userId: 'r-1', roles: ['responder'] };
  const coordinator: Actor = { userId: 'c-1', roles: ['coordinator'] };

  it("the pool is for the services that have one: a responder's role has none", () => {
    expect(couldEverAllow(responder, 'case:list-pool')).toBe(false);
    expect(couldEverAllow(lawyer, 'case:list-pool')).toBe(true);
    expect(couldEverAllow(psychologist, 'case:list-pool')).toBe(true);
    expect(couldEverAllow(coordinator, 'case:list-pool')).toBe(false);
  });

  it('my cases: every service role; the board: coordinators only', () => {
    expect(couldEverAllow(responder, 'case:list-mine')).toBe(true);
    expect(couldEverAllow(coordinator, 'case:list-mine')).toBe(false);
    expect(couldEverAllow(coordinator, 'case:list-board')).toBe(true);
    expect(couldEverAllow(lawyer, 'case:list-board')).toBe(false);
  });
});

describe('reassignment targets (mayReassignTo)', () => {
  const both: Actor = { userId: 'c-2', roles: ['coordinator', 'lawyer'] };
  const now = Date.parse('2026-12-04T12:00:00Z');
  const days = (n: number) => new Date(now - n * 24 * 3_600_000);
  const account = (grantedBy: string | null, created: number, granted: number) => ({
    userId: 'l-9',
    createdAt: days(created),
    rolesGrantedAt: days(granted),
    rolesGrantedBy: grantedBy,
  });

  it('never the one reassigning; back to the pool always', () => {
    expect(mayReassignTo(both, { ...account(null, 30, 30), userId: 'c-2' }, now)).toEqual({
      allowed: false,
      reason: 'self',
    });
    expect(mayReassignTo(both, null, now)).toEqual({ allowed: true });
  });

  it('not by the granter while the account is new (a week) or the grant fresh (a day)', () => {
    expect(mayReassignTo(both, account('c-2', 3, 3), now)).toEqual({
      allowed: false,
      reason: 'granter',
    });
    expect(mayReassignTo(both, account('c-2', 30, 0.5), now)).toEqual({
      allowed: false,
      reason: 'granter',
    });
    // Another coordinator may; and the granter may once both have passed.
    expect(mayReassignTo(coordinatorOther, account('c-2', 3, 3), now)).toEqual({ allowed: true });
    expect(mayReassignTo(both, account('c-2', 8, 2), now)).toEqual({ allowed: true });
  });

  it('nor by the second person who confirmed the grant, while it is fresh', () => {
    const confirmed = { ...account('a-1', 30, 0.5), rolesConfirmedBy: 'c-2' };
    expect(mayReassignTo(both, confirmed, now)).toEqual({ allowed: false, reason: 'granter' });
    expect(mayReassignTo(coordinatorOther, confirmed, now)).toEqual({ allowed: true });
    expect(mayReassignTo(both, { ...confirmed, rolesGrantedAt: days(2) }, now)).toEqual({
      allowed: true,
    });
  });
});

describe('a case handed over (13.6)', () => {
  const offered = legalCase({
    status: 'in_progress',
    assigneeId: lawyer.userId,
    handoverRecipientId: otherLawyer.userId,
  });

  it('the colleague offered the case reads only what they need to decide, and answers', () => {
    expect(decideCase(otherLawyer, 'case:read', offered)).toMatchObject({
      allowed: true,
      view: 'handover',
    });
    for (const field of ['notes', 'contact', 'callerId', 'timeline', 'followUps'])
      expect(CASE_FIELDS.handover).not.toContain(field);
    expect(CASE_FIELDS.handover).toContain('handover');
    for (const action of ['case:handover:accept', 'case:handover:refuse'] as const)
      expect(decideCase(otherLawyer, action, offered)).toMatchObject({ allowed: true });
    expect(decideCase(otherLawyer, 'case:notes:write', offered)).toMatchObject({
      allowed: false,
    });
  });

  it('nobody else answers for them, and the offer needs the caller’s consent to the service', () => {
    expect(decideCase(lawyer, 'case:handover:accept', offered)).toEqual({
      allowed: false,
      reason: 'relation',
    });
    expect(
      decideCase(otherLawyer, 'case:read', { ...offered, scopes: [] as CaseFacts['scopes'] }),
    ).toMatchObject({ allowed: false });
    expect(decideCase(otherLawyer, 'case:read', { ...offered, handoverRecipientId: null })).toEqual(
      { allowed: false, reason: 'relation' },
    );
  });

  it('only the assignee plans a follow-up or hands the case on', () => {
    for (const action of ['case:follow-up:set', 'case:hand-over'] as const) {
      expect(decideCase(lawyer, action, offered)).toMatchObject({ allowed: true });
      expect(decideCase(otherLawyer, action, offered)).toMatchObject({ allowed: false });
      expect(decideCase(psychologist, action, offered)).toEqual({ allowed: false, reason: 'role' });
    }
  });
});
