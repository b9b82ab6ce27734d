import { randomBytes, randomUUID } from 'node:crypto';
import { ContactSealingPass, VolunteerLinkExpiry } from '@mayak/contacts';
import { newTotpSecret, PasswordHasher, totpCode, UsernameSealing } from '@mayak/identity';
import { idempotencyContactRef } from '@mayak/intake';
import { WebhookUrlSealing } from '@mayak/notifications';
import { EnvelopeCipher, KeyedHash } from '@mayak/platform';
import {
  backdateContact,
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  rawTableContents,
  schemaBefore,
  upgradeTo,
  RunningApi,
  signIn,
  startApi,
  TestEnvironment,
  registerFirstPasskey,
} from '@mayak/testing';

const STAFF_PROTECTION = 'StaffProtection1764600000000';

/** Each value as raw bytes, base64, base64url and hex (both cases): how a search would try it. */
function forms(value: string): Array<{ form: string; bytes: Buffer }> {
  const raw = Buffer.from(value, 'utf8');
  return [
    { form: 'raw', bytes: raw },
    ...(['base64', 'base64url', 'hex'] as const).map((e) => ({
      form: e,
      bytes: Buffer.from(raw.toString(e)),
    })),
    { form: 'HEX', bytes: Buffer.from(raw.toString('hex').toUpperCase()) },
  ];
}

/** Every form of every secret that the haystack holds. */
function foundIn(haystack: Buffer, secrets: string[]): string[] {
  return secrets.flatMap((secret) =>
    forms(secret)
      .filter((f) => haystack.includes(f.bytes))
      .map((f) => `${secret} (${f.form})`),
  );
}

/**
 * The attacker holds the database (a superuser's dump of every table, bytea decoded) and
 * no key. Staff must not be named in it, and a contact older than the volunteer's window
 * must not say who logged it.
 */
describe('a seized database does not name the staff', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let http: HttpClient;
  const tag = randomBytes(4).toString('hex');

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    http = new HttpClient(api.url);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('no username or webhook URL is in any table, in any form, and every screen still shows them', async () => {
    const admin = await createUser(api.app, ['admin'], `anna.admin-${tag}`);
    const volunteer = await createUser(api.app, ['volunteer'], `olga.volunteer-${tag}`);
    const lawyer = await createUser(api.app, ['lawyer'], `ivan.lawyer-${tag}`);
    // A host that resolves here (a webhook's host must), allowed by the test environment.
    const webhookUrl = `https://localhost/bridge-${tag}/hooks/ivan-${tag}`;
    const adminToken = await signIn(http, admin);
    const lawyerToken = await signIn(http, lawyer);
    const volunteerToken = await signIn(http, volunteer);
    // Through the API as well as the command line's path: the admin creates one.
    const created = await http.post(
      '/api/admin/users',
      { username: `petr.psych-${tag}`, roles: ['psychologist'] },
      { token: adminToken },
    );
    expect(created.status).toBe(201);
    expect(
      (
        await http.put(
          '/api/staff/me/webhook',
          { url: webhookUrl, secret: 'a shared secret of enough length' },
          { token: lawyerToken },
        )
      ).status,
    ).toBe(200);
    expect(
      (await http.post('/api/contacts', contactBody(), { token: volunteerToken })).status,
    ).toBe(201);

    // Everything that shows a name or the URL still does, decrypted.
    const me = await http.get('/api/auth/me', { token: volunteerToken });
    expect(me.body.username).toBe(volunteer.username);
    const list = await http.get<Array<{ username: string }>>('/api/admin/users', {
      token: adminToken,
    });
    const names = list.body.map((u) => u.username);
    expect(names).toEqual(
      expect.arrayContaining([admin.username, volunteer.username, lawyer.username]),
    );
    expect(names).toContain(`petr.psych-${tag}`);
    expect(names).toEqual([...names].sort());
    expect((await http.get('/api/staff/me/webhook', { token: lawyerToken })).body).toEqual({
      url: webhookUrl,
    });

    const secrets = [
      admin.username,
      volunteer.username,
      lawyer.username,
      `petr.psych-${tag}`,
      webhookUrl,
      `bridge-${tag}`,
      `ivan-${tag}`,
    ];
    const raw = await rawTableContents(env.superuserUrl);
    // The control: what stays in the clear is found by the same search (roles, for access checks).
    expect(foundIn(raw, ['psychologist', 'service:legal'])).toEqual([
      'psychologist (raw)',
      'service:legal (raw)',
    ]);
    expect(foundIn(raw, secrets)).toEqual([]);
    // The tables that hold staff, one by one, as the JSON a dump tool would write.
    for (const table of ['users', 'staff_webhooks', 'contacts', 'consents', 'case_events']) {
      const dump = Buffer.from(JSON.stringify(await env.db.query(`SELECT * FROM ${table}`)));
      expect({ table, found: foundIn(dump, secrets) }).toEqual({ table, found: [] });
    }
  });

  it('a username signs in however it is typed, and a taken name is refused whatever its case', async () => {
    const user = await createUser(api.app, ['lawyer'], `mixed.case-${tag}`);
    const login = await http.post('/api/auth/login', {
      username: `  Mixed.CASE-${tag.toUpperCase()} `,
      password: user.password,
      totp: totpCode(user.totpSecret),
    });
    expect(login.status).toBe(200);
    const admin = await createUser(api.app, ['admin']);
    const again = await http.post(
      '/api/admin/users',
      { username: `mixed.case-${tag}`, roles: ['volunteer'] },
      { token: await signIn(http, admin) },
    );
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('username_taken');
  });

  it('a contact older than the volunteer window holds no volunteer id, nor does anything written with it', async () => {
    const volunteer = await createUser(api.app, ['volunteer']);
    const token = await signIn(http, volunteer);
    const logged: Array<{ id: string; callerId: string }> = [];
    for (const key of ['old-call', 'new-call']) {
      const receipt = await http.post('/api/contacts', contactBody(), {
        token,
        headers: { 'idempotency-key': `${key}-${tag}` },
      });
      expect(receipt.status).toBe(201);
      logged.push(receipt.body as { id: string; callerId: string });
    }
    const [oldId, newId] = logged.map((l) => l.id);
    // The first call was logged a minute more than a window ago.
    const hours = env.config.VOLUNTEER_CONTACT_WINDOW_HOURS;
    await backdateContact(api.app, oldId, hours * 3_600_000 + 60_000);
    await env.db.query(
      `UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $2, mins => 1) WHERE key = $1`,
      [`old-call-${tag}`, hours],
    );

    const forgotten = await api.app.get(VolunteerLinkExpiry).forgetExpired();
    expect(forgotten).toMatchObject({
      contacts: 1,
      consents: 1,
      caseEvents: 1,
      idempotencyKeys: 1,
    });
    // Idempotent: nothing is left to forget.
    expect(await api.app.get(VolunteerLinkExpiry).forgetExpired()).toMatchObject({
      contacts: 0,
      consents: 0,
      caseEvents: 0,
    });

    // The attacker's view: no row about the old call holds the volunteer's id.
    const about = async (contactId: string) =>
      JSON.stringify([
        await env.db.query(`SELECT * FROM contacts WHERE id = $1`, [contactId]),
        await env.db.query(`SELECT * FROM consents WHERE contact_id = $1`, [contactId]),
        await env.db.query(
          `SELECT e.* FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.contact_id = $1`,
          [contactId],
        ),
        await env.db.query(`SELECT * FROM idempotency_keys WHERE contact_ref = $1`, [
          idempotencyContactRef(api.app.get(KeyedHash), contactId),
        ]),
      ]);
    expect(await about(oldId)).not.toContain(volunteer.id);
    // Nor, for any contact, the time it was logged: that is sealed with its facts, the clear
    // keeps the call's week.
    const times: Array<{ coarse: boolean }> = await env.db.query(
      `SELECT created_at = date_trunc('week', created_at, $2) AS coarse FROM contacts WHERE id = ANY($1::uuid[])`,
      [[oldId, newId], env.config.STATS_TIMEZONE],
    );
    expect(times).toEqual([{ coarse: true }, { coarse: true }]);
    const linked: Array<{ id: string }> = await env.db.query(
      `SELECT id FROM contacts WHERE volunteer_id IS NOT NULL AND id = ANY($1::uuid[])`,
      [[oldId, newId]],
    );
    expect(linked.map((c) => c.id)).toEqual([newId]);
    // Within the window the link stays, and does its work: my contacts, consent withdrawal.
    expect(await about(newId)).toContain(volunteer.id);
    const mine = await http.get<Array<{ id: string }>>('/api/contacts/mine', { token });
    expect(mine.body.map((c) => c.id)).toEqual([newId]);
    const withdrawal = await http.post(
      `/api/callers/${logged[1].callerId}/consent/withdraw`,
      { scopes: ['statistics'] },
      { token },
    );
    expect(withdrawal.status).toBe(200);
  });
});

/**
 * An installation upgraded in place: its database was written by the version before, with
 * usernames and webhook URLs in plaintext and volunteer links kept forever. After the
 * migration and one start with the keys, none of it is left, and everyone signs in as before.
 */
describe('an older database is converted in place', () => {
  let env: TestEnvironment;
  let api: RunningApi | undefined;
  const tag = randomBytes(4).toString('hex');
  const people = [
    { name: `old.admin-${tag}`, roles: ['admin'] },
    { name: `old.volunteer-${tag}`, roles: ['volunteer'] },
    { name: `old.lawyer-${tag}`, roles: ['lawyer'] },
  ].map((p) => ({ ...p, id: randomUUID(), password: `pw-${p.name}`, totp: newTotpSecret() }));
  const webhookUrl = `https://old-bridge-${tag}.example.org/hook`;
  const contactId = randomUUID();

  beforeAll(async () => {
    env = await createTestEnvironment();
    await env.wipe();
    // The schema as it was just before the staff-protection migration.
    const ring = await schemaBefore(env, STAFF_PROTECTION);
    // Rows as the version before wrote them, with the installation's own keys.
    const cipher = new EnvelopeCipher(ring);
    const hasher = new PasswordHasher();
    for (const p of people) {
      const dek = cipher.newDataKey('users', p.id);
      await env.db.query(
        `INSERT INTO users (id, username, password_hash, roles, dek_wrapped, totp_secret_enc, totp_enrolled)
         VALUES ($1, $2, $3, $4, $5, $6, true)`,
        [
          p.id,
          p.name,
          await hasher.hash(p.password),
          p.roles,
          dek.wrapped,
          cipher.encrypt(dek, { table: 'users', id: p.id, column: 'totp_secret' }, p.totp),
        ],
      );
    }
    // The old seeder's synthetic account, with a placeholder data key.
    await env.db.query(
      `INSERT INTO users (id, username, password_hash, roles, dek_wrapped, disabled_at)
       VALUES ($1, 'synthetic-data', '!', '{volunteer}', '\\x00', now())`,
      [randomUUID()],
    );
    const lawyer = people[2];
    const dek = cipher.newDataKey('staff_webhooks', lawyer.id);
    await env.db.query(
      `INSERT INTO staff_webhooks (user_id, url, dek_wrapped, secret_enc) VALUES ($1, $2, $3, $4)`,
      [
        lawyer.id,
        webhookUrl,
        dek.wrapped,
        cipher.encrypt(
          dek,
          { table: 'staff_webhooks', id: lawyer.id, column: 'secret' },
          'a shared secret of enough length',
        ),
      ],
    );
    // A contact logged two days ago, linked forever to its volunteer.
    const callerId = randomUUID();
    await env.db.query(`INSERT INTO callers (id) VALUES ($1)`, [callerId]);
    await env.db.query(
      `INSERT INTO contacts (id, caller_id, volunteer_id, channel, started_at, duration_seconds, region, outcome, created_at, expires_at)
       VALUES ($1, $2, $3, 'phone', now() - interval '2 days', 300, 'RU-MOW', 'information', now() - interval '2 days', now() + interval '300 days')`,
      [contactId, callerId, people[1].id],
    );
    await env.db.query(
      `INSERT INTO consents (id, caller_id, contact_id, recorded_by, scopes, text_version, retention_days, given_at)
       VALUES ($1, $2, $3, $4, '{statistics}', '2026-01', 365, now() - interval '2 days')`,
      [randomUUID(), callerId, contactId, people[1].id],
    );
    ring.wipe();

    // The upgrade: the new migration, then the app starts with its keys.
    expect(await upgradeTo(env)).toContain(STAFF_PROTECTION);
    api = await startApi(env);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  it('after one start with the keys, no plaintext username or URL is left, and every old account signs in', async () => {
    await api!.app.get(UsernameSealing).settled();
    await api!.app.get(WebhookUrlSealing).settled();
    await api!.app.get(ContactSealingPass).settled();
    const left: Array<{ users: number; webhooks: number }> = await env.db.query(
      `SELECT (SELECT count(*)::int FROM users WHERE username IS NOT NULL OR username_hash IS NULL) AS users,
              (SELECT count(*)::int FROM staff_webhooks WHERE url IS NOT NULL OR url_enc IS NULL) AS webhooks`,
    );
    expect(left[0]).toEqual({ users: 0, webhooks: 0 });
    const raw = await rawTableContents(env.superuserUrl);
    // The old contact's region was plaintext; one start with the keys sealed it too.
    expect(foundIn(raw, ['RU-MOW'])).toEqual([]);
    expect(foundIn(raw, [...people.map((p) => p.name), 'synthetic-data', webhookUrl])).toEqual([]);

    const http = new HttpClient(api!.url);
    for (const p of people) {
      const login = await http.post('/api/auth/login', {
        username: p.name,
        password: p.password,
        totp: totpCode(p.totp),
      });
      expect({ who: p.name, status: login.status }).toEqual({ who: p.name, status: 200 });
      const me = await http.get('/api/auth/me', { token: login.body.token });
      expect(me.body.username).toBe(p.name);
      if (p.roles.includes('lawyer'))
        expect((await http.get('/api/staff/me/webhook', { token: login.body.token })).body).toEqual(
          { url: webhookUrl },
        );
      if (p.roles.includes('admin')) {
        // An admin's code opens only the first passkey's registration (PASSKEY_REQUIRED_ROLES).
        const { token } = await registerFirstPasskey(http, login.body.token, {
          username: p.name,
          password: p.password,
        });
        const list = await http.get<Array<{ username: string }>>('/api/admin/users', { token });
        expect(list.body.map((u) => u.username)).toEqual(
          [...people.map((q) => q.name), 'synthetic-data'].sort(),
        );
      }
    }
    // A second pass (another process, the next unseal) finds nothing to do.
    expect(await api!.app.get(UsernameSealing).sealRemaining()).toBe(0);
    expect(await api!.app.get(WebhookUrlSealing).sealRemaining()).toBe(0);
  });

  it("the old contact's link to its volunteer is forgotten at the first sweep", async () => {
    await api!.app.get(VolunteerLinkExpiry).forgetExpired();
    const rows: Array<{ volunteer_id: string | null; recorded_by: string | null }> =
      await env.db.query(
        `SELECT ct.volunteer_id, cs.recorded_by FROM contacts ct JOIN consents cs ON cs.contact_id = ct.id WHERE ct.id = $1`,
        [contactId],
      );
    expect(rows).toEqual([{ volunteer_id: null, recorded_by: null }]);
  });
});
