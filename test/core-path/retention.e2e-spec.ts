import { INestApplicationContext } from '@nestjs/common';
import { RetentionService } from '@mayak/retention';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';

describe('the retention sweep', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    worker = await startWorker(env);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  it('destroys the encrypted fields of contacts past their retention, and the notes of their closed cases, keeping categories', async () => {
    const http = new HttpClient(api.url);
    const volunteer = await createUser(api.app, ['volunteer']);
    const lawyer = await createUser(api.app, ['lawyer']);
    const vt = await signIn(http, volunteer);
    const lt = await signIn(http, lawyer);
    const expired = await http.post(
      '/api/contacts',
      contactBody({
        consent: { scopes: ['service:legal'], textVersion: '2026-01', retentionDays: 30 },
      }),
      { token: vt },
    );
    const kept = await http.post('/api/contacts', contactBody(), { token: vt });
    for (const receipt of [expired, kept]) {
      const caseId = receipt.body.caseIds[0];
      await http.post(`/api/cases/${caseId}/claim`, undefined, { token: lt });
      await http.post(`/api/cases/${caseId}/notes`, { text: 'note' }, { token: lt });
      await http.post(`/api/cases/${caseId}/close`, { outcome: 'resolved' }, { token: lt });
    }
    await env.db.query(`UPDATE contacts SET expires_at = now() - interval '1 day' WHERE id = $1`, [
      expired.body.id,
    ]);

    const report = await worker.get(RetentionService).sweep();
    expect(report).toMatchObject({ contacts: 1, notes: 1 });

    const rows = await env.db.query(
      `SELECT id, dek_wrapped IS NULL AS shredded, summary_enc IS NULL AS no_summary, region, topics FROM contacts WHERE id = ANY($1::uuid[])`,
      [[expired.body.id, kept.body.id]],
    );
    const byId = Object.fromEntries(rows.map((r: { id: string }) => [r.id, r]));
    expect(byId[expired.body.id]).toMatchObject({
      shredded: true,
      no_summary: true,
      region: 'RU-SPE',
      topics: ['detention', 'violence'],
    });
    expect(byId[kept.body.id]).toMatchObject({ shredded: false, no_summary: false });
    const notes = await env.db.query(
      `SELECT c.contact_id, n.text_enc IS NULL AS erased FROM case_notes n JOIN cases c ON c.id = n.case_id`,
    );
    expect(notes.find((n: { contact_id: string }) => n.contact_id === expired.body.id).erased).toBe(
      true,
    );
    expect(notes.find((n: { contact_id: string }) => n.contact_id === kept.body.id).erased).toBe(
      false,
    );
    // A second run finds nothing more to do.
    expect(await worker.get(RetentionService).sweep()).toMatchObject({ contacts: 0, notes: 0 });
  });
});
