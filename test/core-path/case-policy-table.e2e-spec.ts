import { Actor, Role } from '@mayak/identity';
import {
  CASE_FIELDS,
  couldEverAllow,
  CaseAction,
  CaseFacts,
  decideCase,
  hasCapability,
  mayDecideGrant,
} from '@mayak/access';
import { AuditReferences } from '@mayak/audit';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  reauthenticate,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/**
 * Every role against every case route, with the expected status derived from the policy's
 * own table (CASE_POLICY through decideCase), so the HTTP behaviour and the policy cannot
 * drift apart. The case under test is a legal case, assigned to `lawyer` unless the route
 * needs it in the pool.
 */
type Who =
  'volunteer' | 'lawyer' | 'otherLawyer' | 'psychologist' | 'responder' | 'coordinator' | 'admin';
const ROLES: Record<Who, Role[]> = {
  volunteer: ['volunteer'],
  lawyer: ['lawyer'],
  otherLawyer: ['lawyer'],
  psychologist: ['psychologist'],
  responder: ['responder'],
  coordinator: ['coordinator'],
  admin: ['admin'],
};

interface Route {
  name: string;
  action: CaseAction;
  /** The state the case must be in for the route to make sense. */
  state: 'queued' | 'assigned' | 'none';
  ok: number;
  call: (
    http: HttpClient,
    caseId: string,
    token: string,
    ids: Record<Who, string>,
  ) => Promise<{ status: number; body: any }>;
}

const ROUTES: Route[] = [
  {
    name: 'list mine',
    action: 'case:list-mine',
    state: 'none',
    ok: 200,
    call: (h, _, t) => h.get('/api/cases?view=mine', { token: t }),
  },
  {
    name: 'list pool',
    action: 'case:list-pool',
    state: 'none',
    ok: 200,
    call: (h, _, t) => h.get('/api/cases?view=pool', { token: t }),
  },
  {
    name: 'list board',
    action: 'case:list-board',
    state: 'none',
    ok: 200,
    call: (h, _, t) => h.get('/api/cases?view=board', { token: t }),
  },
  {
    name: 'read',
    action: 'case:read',
    state: 'assigned',
    ok: 200,
    call: (h, id, t) => h.get(`/api/cases/${id}`, { token: t }),
  },
  {
    name: 'add note',
    action: 'case:notes:write',
    state: 'assigned',
    ok: 201,
    call: (h, id, t) => h.post(`/api/cases/${id}/notes`, { text: 'a note' }, { token: t }),
  },
  {
    name: 'claim',
    action: 'case:claim',
    state: 'queued',
    ok: 200,
    call: (h, id, t) => h.post(`/api/cases/${id}/claim`, undefined, { token: t }),
  },
  {
    name: 'accept',
    action: 'case:accept',
    state: 'assigned',
    ok: 200,
    call: (h, id, t) => h.post(`/api/cases/${id}/accept`, undefined, { token: t }),
  },
  {
    name: 'close',
    action: 'case:close',
    state: 'assigned',
    ok: 200,
    call: (h, id, t) => h.post(`/api/cases/${id}/close`, { outcome: 'resolved' }, { token: t }),
  },
  {
    name: 'earlier cases',
    action: 'case:caller-history',
    state: 'assigned',
    ok: 200,
    call: (h, id, t) => h.get(`/api/cases/${id}/earlier-cases`, { token: t }),
  },
  {
    name: 'reassign',
    action: 'case:reassign',
    state: 'assigned',
    ok: 200,
    call: (h, id, t, ids) =>
      h.put(`/api/cases/${id}/assignee`, { userId: ids.otherLawyer }, { token: t }),
  },
  {
    name: 'set follow-up',
    action: 'case:follow-up:set',
    state: 'assigned',
    ok: 201,
    call: (h, id, t) =>
      h.post(
        `/api/cases/${id}/follow-ups`,
        { dueOn: new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10) },
        { token: t },
      ),
  },
  {
    name: 'list colleagues',
    action: 'case:hand-over',
    state: 'assigned',
    ok: 200,
    call: (h, id, t) => h.get(`/api/cases/${id}/colleagues`, { token: t }),
  },
  {
    name: 'hand over',
    action: 'case:hand-over',
    state: 'assigned',
    ok: 201,
    call: (h, id, t, ids) =>
      h.post(
        `/api/cases/${id}/handover`,
        { toId: ids.otherLawyer, note: 'over to you' },
        { token: t },
      ),
  },
  {
    name: 'incoming handovers',
    action: 'case:list-handovers',
    state: 'none',
    ok: 200,
    call: (h, _, t) => h.get('/api/handovers', { token: t }),
  },
];

function expectedStatus(route: Route, who: Who, userId: string, assigneeId: string | null): number {
  const actor: Actor = { userId, roles: ROLES[who] };
  if (route.state === 'none') {
    return couldEverAllow(actor, route.action) ? route.ok : 403;
  }
  const facts: CaseFacts = {
    service: 'legal',
    status: route.state,
    assigneeId,
    scopes: ['service:legal', 'contact_back', 'statistics'],
    pagedUserIds: [],
    breakGlassUserIds: [],
    originVolunteerId: null,
    declinedBy: [],
  };
  return decideCase(actor, route.action, facts).allowed ? route.ok : 404;
}

describe('the case policy, route by route and role by role', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  const users = {} as Record<Who, TestUser>;
  const tokens = {} as Record<Who, string>;
  const ids = {} as Record<Who, string>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    for (const who of Object.keys(ROLES) as Who[]) {
      users[who] = await createUser(api.app, ROLES[who]);
      tokens[who] = await signIn(http, users[who]);
      ids[who] = users[who].id;
    }
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  /** A legal case raised through intake (no worker runs: it stays queued), then claimed by `lawyer` if needed. */
  async function legalCase(state: Route['state']): Promise<string> {
    const receipt = await http.post('/api/contacts', contactBody(), { token: tokens.volunteer });
    const caseId = receipt.body.caseIds[0] as string;
    if (state === 'assigned')
      expect(
        (await http.post(`/api/cases/${caseId}/claim`, undefined, { token: tokens.lawyer })).status,
      ).toBe(200);
    return caseId;
  }

  const rows = ROUTES.flatMap((route) =>
    (Object.keys(ROLES) as Who[]).map((who) => [route.name, who, route] as const),
  );

  it.each(rows)('%s as %s', async (_name, who, route) => {
    const caseId = route.state === 'none' ? '' : await legalCase(route.state);
    const assignee = route.state === 'assigned' ? ids.lawyer : null;
    const expected = expectedStatus(route, who, ids[who], assignee);
    const response = await route.call(http, caseId, tokens[who], ids);
    expect({ who, route: route.name, status: response.status }).toEqual({
      who,
      route: route.name,
      status: expected,
    });
    if (response.status === 404)
      expect(response.body).toEqual({ statusCode: 404, error: 'not_found', message: 'Not found.' });
    if (route.state !== 'none') {
      const [audit] = await env.db.query(
        `SELECT outcome FROM audit_entries WHERE actor_id = $1 AND action = $2 AND record_type = 'case' AND record_id = $3 ORDER BY seq DESC LIMIT 1`,
        [ids[who], route.action, api.app.get(AuditReferences).of('case', caseId)],
      );
      expect(audit?.outcome).toBe(expected === route.ok ? 'allow' : 'deny');
    }
  });

  /**
   * The same expectations written out by hand, as the product rules say them (SPEC.md), so
   * that a mistake in the policy table itself is caught too, not just drift from it.
   */
  const BY_HAND: Record<string, Record<Who, number>> = {
    'list mine': {
      volunteer: 403,
      lawyer: 200,
      otherLawyer: 200,
      psychologist: 200,
      responder: 200,
      coordinator: 403,
      admin: 403,
    },
    'list board': {
      volunteer: 403,
      lawyer: 403,
      otherLawyer: 403,
      psychologist: 403,
      responder: 403,
      coordinator: 200,
      admin: 403,
    },
    read: {
      volunteer: 404,
      lawyer: 200,
      otherLawyer: 404,
      psychologist: 404,
      responder: 404,
      coordinator: 200,
      admin: 404,
    },
    'add note': {
      volunteer: 404,
      lawyer: 201,
      otherLawyer: 404,
      psychologist: 404,
      responder: 404,
      coordinator: 404,
      admin: 404,
    },
    claim: {
      volunteer: 404,
      lawyer: 200,
      otherLawyer: 200,
      psychologist: 404,
      responder: 404,
      coordinator: 404,
      admin: 404,
    },
    close: {
      volunteer: 404,
      lawyer: 200,
      otherLawyer: 404,
      psychologist: 404,
      responder: 404,
      coordinator: 404,
      admin: 404,
    },
    // The caller's earlier cases: for whoever reads this one under consent; not coordinators.
    'earlier cases': {
      volunteer: 404,
      lawyer: 200,
      otherLawyer: 404,
      psychologist: 404,
      responder: 404,
      coordinator: 404,
      admin: 404,
    },
    reassign: {
      volunteer: 404,
      lawyer: 404,
      otherLawyer: 404,
      psychologist: 404,
      responder: 404,
      coordinator: 200,
      admin: 404,
    },
    // Only the case's own specialist plans a call back or hands the case on (13.6).
    'set follow-up': {
      volunteer: 404,
      lawyer: 201,
      otherLawyer: 404,
      psychologist: 404,
      responder: 404,
      coordinator: 404,
      admin: 404,
    },
    'hand over': {
      volunteer: 404,
      lawyer: 201,
      otherLawyer: 404,
      psychologist: 404,
      responder: 404,
      coordinator: 404,
      admin: 404,
    },
    'incoming handovers': {
      volunteer: 403,
      lawyer: 200,
      otherLawyer: 200,
      psychologist: 200,
      responder: 403,
      coordinator: 403,
      admin: 403,
    },
  };

  it('the policy table says what the product rules say', () => {
    for (const [name, expected] of Object.entries(BY_HAND)) {
      const route = ROUTES.find((r) => r.name === name)!;
      for (const who of Object.keys(ROLES) as Who[]) {
        const assignee = route.state === 'assigned' ? 'lawyer-id' : null;
        const actual = expectedStatus(
          route,
          who,
          who === 'lawyer' ? 'lawyer-id' : `${who}-id`,
          assignee,
        );
        expect({ route: name, who, status: actual }).toEqual({
          route: name,
          who,
          status: expected[who],
        });
      }
    }
  });

  it('a read returns exactly the fields of the reader’s view', async () => {
    const caseId = await legalCase('assigned');
    await http.post(
      `/api/cases/${caseId}/notes`,
      { text: 'first meeting booked' },
      { token: tokens.lawyer },
    );
    const full = await http.get(`/api/cases/${caseId}`, { token: tokens.lawyer });
    // breakGlass appears only when the read went beyond consent.
    expect(Object.keys(full.body).sort()).toEqual(
      CASE_FIELDS.full.filter((f) => f !== 'breakGlass').sort(),
    );
    expect(full.body.notes[0].text).toBe('first meeting booked');
    expect(full.body.contact.summary).toMatch(/Detained/);
    expect(full.body.contact.contactBack.identifier).toMatch(/^\+79/);

    const meta = await http.get(`/api/cases/${caseId}`, { token: tokens.coordinator });
    expect(Object.keys(meta.body).sort()).toEqual([...CASE_FIELDS.metadata].sort());
    const text = JSON.stringify(meta.body);
    expect(text).not.toMatch(/first meeting|Detained|Anna|\+79/);
  });
  /**
   * Re-authentication (issue 12.4) is for everyone signed in: each role proves its own password
   * and second factor again, and only for its own session.
   */
  it.each(Object.keys(ROLES) as Who[])('reauthenticate as %s', async (who) => {
    // With the passkey where the role signs in with one, else with a code.
    const response = await reauthenticate(http, tokens[who], users[who]);
    expect({ who, status: response.status }).toEqual({ who, status: 204 });
  });

  /**
   * The role-grant routes (issue 12.1), role by role: expected statuses derived from the
   * capability table and mayDecideGrant, and written out by hand as SPEC says them. The grant
   * decided is proposed by an admin who is none of the users here.
   */
  describe('role grants', () => {
    type GrantRoute = 'list' | 'propose' | 'confirm';
    const GRANT_BY_HAND: Record<GrantRoute, Record<Who, number>> = {
      list: {
        volunteer: 403,
        lawyer: 403,
        otherLawyer: 403,
        psychologist: 403,
        responder: 403,
        coordinator: 200,
        admin: 200,
      },
      propose: {
        volunteer: 403,
        lawyer: 403,
        otherLawyer: 403,
        psychologist: 403,
        responder: 403,
        coordinator: 201,
        admin: 201,
      },
      // An admin's proposal: a coordinator confirms it; another admin is on the same side.
      confirm: {
        volunteer: 403,
        lawyer: 403,
        otherLawyer: 403,
        psychologist: 403,
        responder: 403,
        coordinator: 204,
        admin: 403,
      },
    };
    let proposer: TestUser;
    let proposerToken: string;
    beforeAll(async () => {
      proposer = await createUser(api.app, ['admin']);
      proposerToken = await signIn(http, proposer);
    });

    function expectedGrantStatus(route: GrantRoute, who: Who, userId: string): number {
      const actor: Actor = { userId, roles: ROLES[who] };
      if (route === 'list') return hasCapability(actor.roles, 'role:decide') ? 200 : 403;
      if (route === 'propose') return hasCapability(actor.roles, 'role:propose') ? 201 : 403;
      if (!hasCapability(actor.roles, 'role:decide')) return 403;
      return mayDecideGrant(actor, {
        userId: 'grantee-id',
        proposedBy: 'proposer-id',
        proposedAs: 'admin',
      }).allowed
        ? 204
        : 403;
    }

    const grantRows = (['list', 'propose', 'confirm'] as const).flatMap((route) =>
      (Object.keys(ROLES) as Who[]).map((who) => [route, who] as const),
    );

    it.each(grantRows)('%s grants as %s', async (route, who) => {
      const target = await createUser(api.app, ['volunteer']);
      let response: { status: number };
      if (route === 'list') response = await http.get('/api/role-grants', { token: tokens[who] });
      else if (route === 'propose')
        response = await http.post(
          '/api/role-grants',
          { userId: target.id, role: 'lawyer' },
          { token: tokens[who] },
        );
      else {
        const proposed = await http.put(
          `/api/admin/users/${target.id}/roles`,
          { roles: ['volunteer', 'lawyer'] },
          { token: proposerToken },
        );
        expect(proposed.body.pendingRoles).toEqual(['lawyer']);
        const [grant] = await env.db.query(
          `SELECT id FROM role_grants_pending WHERE user_id = $1 AND state = 'pending'`,
          [target.id],
        );
        response = await http.post(`/api/role-grants/${grant.id}/confirm`, undefined, {
          token: tokens[who],
        });
      }
      expect({ who, route, status: response.status }).toEqual({
        who,
        route,
        status: expectedGrantStatus(route, who, ids[who]),
      });
    });

    it('the grant rules say what the product rules say', () => {
      for (const [route, expected] of Object.entries(GRANT_BY_HAND) as Array<
        [GrantRoute, Record<Who, number>]
      >)
        for (const who of Object.keys(ROLES) as Who[])
          expect({ route, who, status: expectedGrantStatus(route, who, `${who}-id`) }).toEqual({
            route,
            who,
            status: expected[who],
          });
    });
  });
});
