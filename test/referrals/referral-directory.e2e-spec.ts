import { randomUUID } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { AuditReferences } from '@mayak/audit';
import { RetentionService } from '@mayak/retention';
import {
  capturedLogger,
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

/**
 * The referral directory (issue 13.5): coordinators keep it, whoever refers a caller searches
 * it, nobody else touches it; its entries are sealed at rest and every read is audited; a
 * contact's referrals are sealed with its summary and go with it.
 */
describe('the referral directory', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let http: HttpClient;
  const token: Record<'coordinator' | 'volunteer' | 'lawyer' | 'admin', string> = {
    coordinator: '',
    volunteer: '',
    lawyer: '',
    admin: '',
  };
  const user: Partial<Record<keyof typeof token, TestUser>> = {};

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    worker = await startWorker(env, capturedLogger('worker').logger);
    http = new HttpClient(api.url);
    for (const role of Object.keys(token) as Array<keyof typeof token>) {
      user[role] = await createUser(api.app, [role]);
      token[role] = await signIn(http, user[role]);
    }
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  const shelter = {
    region: 'RU-SPE',
    kind: 'shelter',
    name: 'Убежище «Радуга»',
    contactDetails: '+7 812 000-00-00, signal: raduga',
    address: 'Лиговский проспект, 1, кв. 5',
    notes: 'Принимают на две недели; звонить заранее.',
  };
  const add = async (entry: Record<string, unknown> = shelter) => {
    const created = await http.post<{ id: string }>('/api/referrals', entry, {
      token: token.coordinator,
    });
    expect(created.status).toBe(201);
    return created.body.id;
  };
  const search = (as: keyof typeof token, query: Record<string, unknown>) =>
    http.post<Array<{ id: string; name: string; status: string }>>('/api/referrals/search', query, {
      token: token[as],
    });
  const reference = (id: string) => api.app.get(AuditReferences).of('referral', id);
  const auditOf = (action: string, id: string): Promise<Array<{ actor_id: string }>> =>
    env.db.query(
      `SELECT actor_id FROM audit_entries WHERE action = $1 AND record_type = 'referral' AND record_id = $2 ORDER BY seq`,
      [action, reference(id)],
    );

  it('coordinators add, edit, retire and reinstate entries; every change is audited', async () => {
    const id = await add();
    const edited = await http.put(
      `/api/referrals/${id}`,
      { ...shelter, notes: 'Теперь на месяц.' },
      { token: token.coordinator },
    );
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id, status: 'active', notes: 'Теперь на месяц.' });

    expect(
      (await http.post(`/api/referrals/${id}/retire`, undefined, { token: token.coordinator }))
        .status,
    ).toBe(204);
    // A retired entry is no longer offered to volunteers, but the coordinators still see it.
    expect((await search('volunteer', { region: 'RU-SPE' })).body.map((e) => e.id)).not.toContain(
      id,
    );
    const kept = await search('coordinator', { region: 'RU-SPE', includeRetired: true });
    expect(kept.body.find((e) => e.id === id)).toMatchObject({ status: 'retired' });
    expect(
      (await http.post(`/api/referrals/${id}/reinstate`, undefined, { token: token.coordinator }))
        .status,
    ).toBe(204);
    expect((await search('volunteer', { region: 'RU-SPE' })).body.map((e) => e.id)).toContain(id);

    for (const action of [
      'referral:create',
      'referral:update',
      'referral:retire',
      'referral:reinstate',
    ])
      expect(await auditOf(action, id)).toEqual([{ actor_id: user.coordinator!.id }]);
    expect(
      (await http.put(`/api/referrals/${randomUUID()}`, shelter, { token: token.coordinator }))
        .status,
    ).toBe(404);
  });

  it('volunteers find entries by region (and the nationwide ones), kind and part of the name', async () => {
    const spb = await add({ ...shelter, name: 'Центр «Ёлка»' });
    const lawyerMsk = await add({
      ...shelter,
      region: 'RU-MOW',
      kind: 'lawyer',
      name: 'Адвокат Петрова',
    });
    const online = await add({
      ...shelter,
      region: 'nationwide',
      kind: 'psychologist',
      name: 'Онлайн-психолог',
    });

    const inSpb = (await search('volunteer', { region: 'RU-SPE' })).body.map((e) => e.id);
    expect(inSpb).toEqual(expect.arrayContaining([spb, online]));
    expect(inSpb).not.toContain(lawyerMsk);

    const lawyers = (await search('volunteer', { kind: 'lawyer' })).body.map((e) => e.id);
    expect(lawyers).toContain(lawyerMsk);
    expect(lawyers).not.toContain(spb);

    // Case, spaces and ё do not matter.
    const byName = await search('volunteer', { region: 'RU-SPE', text: '  ЕЛКА ' });
    expect(byName.status).toBe(200);
    expect(byName.body.map((e) => e.id)).toEqual([spb]);
    expect(byName.body[0]).toMatchObject({
      name: 'Центр «Ёлка»',
      address: shelter.address,
      contactDetails: shelter.contactDetails,
    });
    // The volunteer's read of the entry is in the audit trail, under their name.
    expect(await auditOf('referral:read', spb)).toContainEqual({ actor_id: user.volunteer!.id });

    // Lawyers refer callers too: they may search.
    expect((await search('lawyer', { text: 'Петрова' })).body.map((e) => e.id)).toEqual([
      lawyerMsk,
    ]);
  });

  it('nobody else keeps or reads the directory', async () => {
    const id = await add();
    expect((await search('admin', { region: 'RU-SPE' })).status).toBe(403);
    expect(
      (await http.post('/api/referrals/read', { ids: [id] }, { token: token.admin })).status,
    ).toBe(403);
    for (const as of ['volunteer', 'lawyer', 'admin'] as const) {
      expect((await http.post('/api/referrals', shelter, { token: token[as] })).status).toBe(403);
      expect((await http.put(`/api/referrals/${id}`, shelter, { token: token[as] })).status).toBe(
        403,
      );
      expect(
        (await http.post(`/api/referrals/${id}/retire`, undefined, { token: token[as] })).status,
      ).toBe(403);
    }
    // Retired entries are the coordinators' business.
    expect((await search('volunteer', { includeRetired: true })).status).toBe(403);
    const denials: Array<{ action: string }> = await env.db.query(
      `SELECT action FROM audit_entries WHERE actor_id = $1 AND outcome = 'deny' ORDER BY seq`,
      [user.admin!.id],
    );
    expect(denials.map((d) => d.action)).toEqual(
      expect.arrayContaining(['referral:search', 'referral:manage']),
    );
    expect((await http.get('/api/referrals/search', { token: token.volunteer })).status).toBe(404); // a search is a POST: nothing searched for lands in an address
  });

  it('bad input is a 400 naming the field', async () => {
    const bad = await http.post(
      '/api/referrals',
      { ...shelter, region: 'unknown', kind: 'bakery', name: '' },
      { token: token.coordinator },
    );
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields).sort()).toEqual(['kind', 'name', 'region']);
    const badSearch = await search('volunteer', { region: 'Питер', text: 'x'.repeat(101) });
    expect(badSearch.status).toBe(400);
    expect(Object.keys((badSearch.body as unknown as { fields: object }).fields).sort()).toEqual([
      'region',
      'text',
    ]);
  });

  it('an entry is sealed at rest: its name, address, details and notes are not in the table', async () => {
    const secret = {
      ...shelter,
      name: 'Квартира-убежище Северная',
      address: 'ул. Тайная, 13',
      contactDetails: 'telegram @secret_shelter',
      notes: 'ключ у соседки',
    };
    const id = await add(secret);
    const rows: Array<Record<string, unknown>> = await env.db.query(
      `SELECT * FROM referrals WHERE id = $1`,
      [id],
    );
    expect(rows).toHaveLength(1);
    const bytes = Buffer.concat(
      Object.values(rows[0]).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)))),
    );
    for (const plain of [
      secret.name,
      secret.address,
      secret.contactDetails,
      secret.notes,
      'Северная',
    ])
      expect(bytes.includes(Buffer.from(plain))).toBe(false);
    // What stays plain is what the search filters on.
    expect(rows[0]).toMatchObject({ region: 'RU-SPE', kind: 'shelter', status: 'active' });
    // And the ciphertext is bound to its row: moved to another, it does not open.
    const other = await add();
    await env.db.query(
      `UPDATE referrals SET dek_wrapped = s.dek_wrapped, details_enc = s.details_enc
         FROM referrals s WHERE s.id = $1 AND referrals.id = $2`,
      [id, other],
    );
    expect(
      (await http.post('/api/referrals/read', { ids: [other] }, { token: token.volunteer })).status,
    ).toBe(500);
    await env.db.query(`DELETE FROM referrals WHERE id = $1`, [other]);
  });

  it('a contact carries its referrals, sealed, to the volunteer and the specialist', async () => {
    const id = await add({ ...shelter, kind: 'lawyer', name: 'Юрист Иванов' });
    const retired = await add({ ...shelter, name: 'Закрытый приют' });
    await http.post(`/api/referrals/${retired}/retire`, undefined, { token: token.coordinator });

    // Referrals go with the outcome referred, and only to active entries.
    for (const [body, status] of [
      [contactBody({ referralIds: [id], outcome: 'information_given' }), 400],
      [contactBody({ referralIds: [retired] }), 400],
      [contactBody({ referralIds: [randomUUID()] }), 400],
      [contactBody({ referralIds: ['not-a-uuid'] }), 400],
      [contactBody({ referralIds: Array.from({ length: 6 }, () => randomUUID()) }), 400],
    ] as const) {
      const refused = await http.post('/api/contacts', body, { token: token.volunteer });
      expect(refused.status).toBe(status);
      expect(Object.keys(refused.body.fields)).toEqual(['referralIds']);
    }

    const saved = await http.post<{ id: string; caseIds: string[] }>(
      '/api/contacts',
      contactBody({ referralIds: [id] }),
      { token: token.volunteer },
    );
    expect(saved.status).toBe(201);
    const mine = await http.get<Array<{ id: string; referralIds: string[] }>>(
      '/api/contacts/mine',
      {
        token: token.volunteer,
      },
    );
    expect(mine.body.find((c) => c.id === saved.body.id)?.referralIds).toEqual([id]);

    // Not a plain link: the entry's id is nowhere in the contact's row.
    const [row] = await env.db.query(`SELECT * FROM contacts WHERE id = $1`, [saved.body.id]);
    expect(row.referrals_enc).toBeInstanceOf(Buffer);
    expect(JSON.stringify(row)).not.toContain(id);
    expect(Buffer.from(row.referrals_enc).includes(Buffer.from(id))).toBe(false);
    // Nor does the column tell a referred contact from another: every contact has one, of one length.
    const other = await http.post<{ id: string }>(
      '/api/contacts',
      contactBody({ outcome: 'information_given' }),
      { token: token.volunteer },
    );
    const lengths: Array<{ length: number }> = await env.db.query(
      `SELECT octet_length(referrals_enc) AS length FROM contacts WHERE id = ANY($1::uuid[])`,
      [[saved.body.id, other.body.id]],
    );
    expect(lengths).toHaveLength(2);
    expect(lengths[0].length).toBe(lengths[1].length);

    // The lawyer on the case sees where the caller was sent, and can read the entry.
    const caseId = saved.body.caseIds[0];
    await http.post(`/api/cases/${caseId}/claim`, undefined, { token: token.lawyer });
    const read = await http.get(`/api/cases/${caseId}`, { token: token.lawyer });
    expect(read.body.contact.referralIds).toEqual([id]);
    const entries = await http.post('/api/referrals/read', { ids: [id] }, { token: token.lawyer });
    expect(entries.body).toEqual([expect.objectContaining({ id, name: 'Юрист Иванов' })]);
    expect(await auditOf('referral:read', id)).toContainEqual({ actor_id: user.lawyer!.id });
  });

  it('a retried save with its referral is answered once; one bad referral fails only its own save', async () => {
    const id = await add({ ...shelter, name: 'Повтор' });
    const body = contactBody({ referralIds: [id] });
    const headers = { 'idempotency-key': `referral-retry-${Date.now()}` };
    const [first, second, bad] = await Promise.all([
      http.post('/api/contacts', body, { token: token.volunteer, headers }),
      http.post('/api/contacts', body, { token: token.volunteer, headers }),
      http.post('/api/contacts', contactBody({ referralIds: [randomUUID()] }), {
        token: token.volunteer,
      }),
    ]);
    expect([first.status, second.status, bad.status]).toEqual([201, 201, 400]);
    expect(second.body.id).toBe(first.body.id);
    // The same key with another referral is another request.
    const changed = await http.post(
      '/api/contacts',
      { ...body, referralIds: [] },
      {
        token: token.volunteer,
        headers,
      },
    );
    expect(changed.status).toBe(422);
  });

  it('the link goes with the contact: erased on consent withdrawal, deleted at the end of retention', async () => {
    const id = await add({ ...shelter, name: 'Временный' });
    const saved = await http.post<{ id: string; callerId: string; caseIds: string[] }>(
      '/api/contacts',
      contactBody({ referralIds: [id] }),
      { token: token.volunteer },
    );
    await http.post(`/api/cases/${saved.body.caseIds[0]}/claim`, undefined, {
      token: token.lawyer,
    });
    const withdrawn = await http.post(
      `/api/callers/${saved.body.callerId}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token: token.lawyer },
    );
    expect(withdrawn.status).toBe(200);
    const [erased] = await env.db.query(
      `SELECT referrals_enc, dek_wrapped FROM contacts WHERE id = $1`,
      [saved.body.id],
    );
    expect(erased).toEqual({ referrals_enc: null, dek_wrapped: null });
    const mine = await http.get<Array<{ id: string; referralIds: string[]; erased: string[] }>>(
      '/api/contacts/mine',
      { token: token.volunteer },
    );
    expect(mine.body.find((c) => c.id === saved.body.id)).toMatchObject({
      referralIds: [],
      erased: expect.arrayContaining(['referrals']),
    });

    // A contact with no case, its retention passed: the sweep deletes it, and the link with it;
    // the directory's entry stays.
    const plain = await http.post<{ id: string }>(
      '/api/contacts',
      contactBody({
        referralIds: [id],
        services: [],
        consent: { scopes: ['statistics'], textVersion: '2026-01', retentionDays: 30 },
      }),
      { token: token.volunteer },
    );
    expect(plain.status).toBe(201);
    await env.db.query(`UPDATE contacts SET expires_at = now() - interval '1 day' WHERE id = $1`, [
      plain.body.id,
    ]);
    const report = await worker.get(RetentionService).sweep();
    expect(report.deleted.contacts).toBeGreaterThanOrEqual(1);
    expect(await env.db.query(`SELECT id FROM contacts WHERE id = $1`, [plain.body.id])).toEqual(
      [],
    );
    expect(await env.db.query(`SELECT id FROM referrals WHERE id = $1`, [id])).toEqual([{ id }]);
  });
});
