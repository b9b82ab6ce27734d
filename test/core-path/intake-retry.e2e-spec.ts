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

/**
 * What the intake form leans on so that a save whose answer was lost is never lost or saved
 * twice: "what did my key save?", and a per-session key for the encrypted draft.
 */
describe('intake retries and kept drafts (API)', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  let volunteer: TestUser;
  let otherVolunteer: TestUser;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
    volunteer = await createUser(api.app, ['volunteer']);
    otherVolunteer = await createUser(api.app, ['volunteer']);
    token = await signIn(http, volunteer);
    otherToken = await signIn(http, otherVolunteer);
  });

  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('says what a key saved: nothing before, the contact after, and only to its own volunteer', async () => {
    const key = 'form-7d0c6a51-0001';
    const before = await http.post(
      '/api/contacts/saved-under-key',
      { idempotencyKey: key },
      { token },
    );
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ saved: false });

    const body = contactBody({ summary: 'answer lost after commit' });
    const created = await http.post('/api/contacts', body, {
      token,
      headers: { 'idempotency-key': key },
    });
    expect(created.status).toBe(201);

    // The old client's bug: the retry recomputed the duration, and the key was refused.
    const changed = await http.post(
      '/api/contacts',
      { ...body, durationSeconds: body.durationSeconds + 7 },
      { token, headers: { 'idempotency-key': key } },
    );
    expect(changed.status).toBe(422);
    expect(changed.body.error).toBe('idempotency_key_reused');

    const after = await http.post(
      '/api/contacts/saved-under-key',
      { idempotencyKey: key },
      { token },
    );
    expect(after.body).toEqual({ saved: true, contactId: created.body.id });

    // Another volunteer's same key is another key.
    const other = await http.post(
      '/api/contacts/saved-under-key',
      { idempotencyKey: key },
      { token: otherToken },
    );
    expect(other.body).toEqual({ saved: false });
  });

  it('refuses a malformed key with a 400 naming it, and staff who log no contacts with a 403', async () => {
    const bad = await http.post(
      '/api/contacts/saved-under-key',
      { idempotencyKey: 'a b' },
      { token },
    );
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields)).toEqual(['idempotencyKey']);

    const lawyer = await createUser(api.app, ['lawyer']);
    const lawyerToken = await signIn(http, lawyer);
    const denied = await http.post(
      '/api/contacts/saved-under-key',
      { idempotencyKey: 'form-7d0c6a51-0002' },
      { token: lawyerToken },
    );
    expect(denied.status).toBe(403);
  });

  it('gives each live session its own draft key, and none once the session has ended', async () => {
    const first = await http.get('/api/auth/draft-key', { token });
    const again = await http.get('/api/auth/draft-key', { token });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(first.body.key, 'base64')).toHaveLength(32);
    expect(again.body.key).toBe(first.body.key);

    const secondSession = await signIn(http, volunteer);
    const second = await http.get('/api/auth/draft-key', { token: secondSession });
    expect(second.body.key).not.toBe(first.body.key);
    const others = await http.get('/api/auth/draft-key', { token: otherToken });
    expect(others.body.key).not.toBe(first.body.key);

    expect((await http.get('/api/auth/draft-key')).status).toBe(401);
    expect((await http.post('/api/auth/logout', undefined, { token: secondSession })).status).toBe(
      204,
    );
    expect((await http.get('/api/auth/draft-key', { token: secondSession })).status).toBe(401);
    // Never stored: no table holds it.
    const [{ found }] = await env.db.query(
      `SELECT count(*)::int AS found FROM pg_stat_user_tables WHERE relname ILIKE '%draft%'`,
    );
    expect(found).toBe(0);
  });
});
