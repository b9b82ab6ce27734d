import { PagingService } from '@mayak/emergency';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

const emergencyBody = () =>
  contactBody({
    immediateRisk: true,
    topics: ['violence'],
    consent: { scopes: ['service:emergency'], textVersion: '2026-01', retentionDays: 365 },
    services: [],
  });

/**
 * The volunteer who saved an emergency is told who its first page goes to (issue 13.3): the
 * tier-1 responders on call, or, with nobody there, tier 2, or the coordinators, or nobody;
 * by role, never by name. What the receipt says is what the pager then does.
 */
describe('who an emergency pages first, on the intake receipt', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let volunteerToken: string;
  let coordinator: TestUser;
  let coordinatorToken: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    volunteerToken = await signIn(http, await createUser(api.app, ['volunteer']));
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const save = async (body = emergencyBody()) => {
    const response = await http.post('/api/contacts', body, { token: volunteerToken });
    expect(response.status).toBe(201);
    return response.body as { caseIds: string[]; emergencyPaged?: string };
  };
  const onCall = async (tier: number) => {
    const responder = await createUser(api.app, [tier === 3 ? 'coordinator' : 'responder']);
    const response = await http.post(
      '/api/rota/shifts',
      {
        userId: responder.id,
        tier,
        startsAt: new Date(Date.now() - 3_600_000).toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
      { token: coordinatorToken },
    );
    expect(response.status).toBe(201);
    return responder;
  };

  it('says nobody when there is nobody on the rota and no coordinator', async () => {
    expect((await save()).emergencyPaged).toBe('nobody');
  });

  it('says the coordinators when no responder is on call at tier 1 or 2', async () => {
    coordinator = await createUser(api.app, ['coordinator']);
    coordinatorToken = await signIn(http, coordinator);
    expect((await save()).emergencyPaged).toBe('coordinators');
  });

  it('the pager climbs past empty tiers to every coordinator; a breach at the top pages them again', async () => {
    const [caseId] = (await save()).caseIds;
    const paging = api.app.get(PagingService);
    expect(await paging.page(caseId, 1, 1)).toBe('tier_empty');
    expect(await paging.page(caseId, 2, 1)).toBe('tier_empty');
    expect(await paging.page(caseId, 3, 1)).toBe('paged');
    // The timer of tier 3 runs out: the breach and the next round's page, in one transaction.
    expect(await paging.checkAck(caseId, 3, 1)).toBe('escalated');
    expect(await paging.checkAck(caseId, 3, 1)).toBe('already_handled');
    const pages = await env.db.query(
      `SELECT tier, round, recipients::text[] AS recipients, breached_at IS NOT NULL AS breached
         FROM emergency_pages WHERE case_id = $1 ORDER BY round, tier`,
      [caseId],
    );
    expect(pages).toEqual([
      { tier: 1, round: 1, recipients: [], breached: true },
      { tier: 2, round: 1, recipients: [], breached: true },
      { tier: 3, round: 1, recipients: [coordinator.id], breached: true },
      { tier: 3, round: 2, recipients: [coordinator.id], breached: false },
    ]);
    const events = await env.db.query(
      `SELECT type FROM case_events WHERE case_id = $1 AND type <> 'created' ORDER BY id`,
      [caseId],
    );
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      'paged',
      'paged',
      'paged',
      'sla_breached',
      'escalated',
      'paged',
    ]);
  });

  it('says tier 2 when tier 1 is empty, and the pager then pages tier 2', async () => {
    const tier2 = await onCall(2);
    const receipt = await save();
    expect(receipt.emergencyPaged).toBe('tier2');
    // What the worker does with it: tier 1 is skipped at once, tier 2 is paged.
    const paging = api.app.get(PagingService);
    expect(await paging.page(receipt.caseIds[0], 1, 1)).toBe('tier_empty');
    expect(await paging.page(receipt.caseIds[0], 2, 1)).toBe('paged');
    const [page] = await env.db.query(
      `SELECT recipients FROM emergency_pages WHERE case_id = $1 AND tier = 2`,
      [receipt.caseIds[0]],
    );
    expect(page.recipients).toEqual([tier2.id]);
  });

  it('says tier 1 when a responder is on call there', async () => {
    await onCall(1);
    expect((await save()).emergencyPaged).toBe('tier1');
  });

  it('a contact without an emergency carries no such field', async () => {
    const receipt = await save(contactBody());
    expect(receipt).not.toHaveProperty('emergencyPaged');
  });
});
