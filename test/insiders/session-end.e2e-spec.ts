import { AccountAdminService, OPERATOR } from '@mayak/accounts';
import { SessionService } from '@mayak/identity';
import {
  createTestEnvironment,
  createUser,
  HttpClient,
  openEventStream,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
} from '@mayak/testing';

/**
 * A session that ends, ends everywhere at once (issue 12.5): an open notification stream,
 * on whichever API process it was opened, closes within a second of its session's end,
 * whether that end was a sign-out, a disabling or a role change made on another process.
 * Before, a stream opened before a sign-out went on delivering pages.
 */
describe('an open notification stream after its session ends', () => {
  let env: TestEnvironment;
  let a: RunningApi;
  let b: RunningApi;

  beforeAll(async () => {
    // No session memory: every process still hears the ends, and closes its streams.
    env = await createTestEnvironment({ SESSION_CACHE_SECONDS: '0' });
    a = await startApi(env);
    b = await startApi(env);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await env?.dispose();
  });

  /** Opens a stream on process B as a fresh responder; `end` ends the session on process A. */
  async function closesWithin(end: (userId: string, token: string) => Promise<void>) {
    const user = await createUser(a.app, ['responder', 'coordinator']);
    const token = await signIn(new HttpClient(a.url), user);
    const stream = await openEventStream(`${b.url}/api/notifications/stream`, token);
    // Open, and still open a moment later.
    const early = await Promise.race([
      stream.ended.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('open'), 300)),
    ]);
    expect(early).toBe('open');
    const ending = Date.now();
    await end(user.id, token);
    const closed = await Promise.race([
      stream.ended.then(() => Date.now() - ending),
      new Promise<number>((r) => setTimeout(() => r(Infinity), 3_000)),
    ]);
    stream.close();
    return closed;
  }

  it('closes within 1 s of a sign-out made on another API process', async () => {
    const ms = await closesWithin(async (_id, token) => {
      const out = await new HttpClient(a.url).post('/api/auth/logout', undefined, { token });
      expect(out.status).toBe(204);
    });
    expect(ms).toBeLessThan(1_000);
  });

  it('closes within 1 s of the account being disabled', async () => {
    const ms = await closesWithin(async (id) => {
      await a.app.get(AccountAdminService).disable(OPERATOR, id);
    });
    expect(ms).toBeLessThan(1_000);
  });

  it('closes within 1 s of a role change', async () => {
    const ms = await closesWithin(async (id) => {
      await a.app.get(AccountAdminService).setRoles(OPERATOR, id, ['responder']);
    });
    expect(ms).toBeLessThan(1_000);
  });

  it("another session's stream of the same person stays open after one sign-out", async () => {
    const user = await createUser(a.app, ['responder']);
    const http = new HttpClient(a.url);
    const first = await signIn(http, user);
    // A second session of the same person (another device), issued as sign-in issues it.
    const second = (await a.app.get(SessionService).issue(user.id)).token;
    const kept = await openEventStream(`${b.url}/api/notifications/stream`, second);
    const ended = await openEventStream(`${b.url}/api/notifications/stream`, first);
    expect((await http.post('/api/auth/logout', undefined, { token: first })).status).toBe(204);
    const gone = await Promise.race([
      ended.ended.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('open'), 2_000)),
    ]);
    expect(gone).toBe('ended');
    const state = await Promise.race([
      kept.ended.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('open'), 500)),
    ]);
    expect(state).toBe('open');
    kept.close();
    ended.close();
  });
});
