import { INestApplicationContext } from '@nestjs/common';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  RunningApi,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';

const ZONE = 'Europe/Moscow';

const emergencyBody = () =>
  contactBody({
    immediateRisk: true,
    topics: ['violence'],
    summary: 'Caller is hiding from a raid on a flat tonight.',
    consent: {
      scopes: ['service:emergency', 'statistics'],
      textVersion: '2026-01',
      retentionDays: 365,
    },
    services: [],
  });

/** The wall clock in the helpline's zone at an instant: local date, ISO weekday and HH:MM. */
function local(at: Date): { date: string; weekday: number; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: weekdays.indexOf(parts.weekday) + 1,
    time: `${parts.hour}:${parts.minute}`,
  };
}

describe('recurring rota shifts and their exceptions', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let worker: INestApplicationContext | undefined;
  let http: HttpClient;
  let coordinator: TestUser;
  let regular: TestUser;
  let standIn: TestUser;
  let volunteer: TestUser;
  const token: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestEnvironment({
      STATS_TIMEZONE: ZONE,
      EMERGENCY_ACK_TIMEOUT_SECONDS: '600',
    });
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    coordinator = await createUser(api.app, ['coordinator']);
    regular = await createUser(api.app, ['responder']);
    standIn = await createUser(api.app, ['responder']);
    volunteer = await createUser(api.app, ['volunteer']);
    for (const [name, user] of Object.entries({ coordinator, regular, standIn, volunteer }))
      token[name] = await signIn(http, user);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.dispose();
  });

  const addRecurrence = (body: Record<string, unknown>, as = token.coordinator) =>
    http.post('/api/rota/recurrences', body, { token: as });
  const rota = (from: string, to: string) =>
    http.get(`/api/rota?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, {
      token: token.coordinator,
    });

  it('a weekly shift occurs on its weekday from its first date until its last, in the helpline zone', async () => {
    // Mondays 09:00 Moscow (06:00 UTC) for 8 hours, 2026-01-12 to 2026-01-26.
    const made = await addRecurrence({
      userId: regular.id,
      tier: 2,
      weekday: 1,
      startTime: '09:00',
      durationMinutes: 480,
      startsOn: '2026-01-12',
      untilOn: '2026-01-26',
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      userId: regular.id,
      username: regular.username,
      weekday: 1,
      startTime: '09:00',
      timeZone: ZONE,
    });
    const view = await rota('2026-01-01T00:00:00Z', '2026-02-10T00:00:00Z');
    expect(view.status).toBe(200);
    expect(view.body.timeZone).toBe(ZONE);
    const mine = view.body.onCall.filter(
      (o: { recurrenceId: string }) => o.recurrenceId === made.body.id,
    );
    expect(mine.map((o: { occursOn: string; startsAt: string; endsAt: string }) => o)).toEqual([
      expect.objectContaining({
        occursOn: '2026-01-12',
        startsAt: '2026-01-12T06:00:00.000Z',
        endsAt: '2026-01-12T14:00:00.000Z',
        replaced: false,
        username: regular.username,
      }),
      expect.objectContaining({ occursOn: '2026-01-19', startsAt: '2026-01-19T06:00:00.000Z' }),
      expect.objectContaining({ occursOn: '2026-01-26', startsAt: '2026-01-26T06:00:00.000Z' }),
    ]);
    // A window that starts in the middle of an occurrence still shows it.
    const middle = await rota('2026-01-19T10:00:00Z', '2026-01-19T11:00:00Z');
    expect(
      middle.body.onCall.filter((o: { recurrenceId: string }) => o.recurrenceId === made.body.id),
    ).toHaveLength(1);
    await http.delete(`/api/rota/recurrences/${made.body.id}`, { token: token.coordinator });
  });

  it('across a DST change the shift keeps its wall-clock start, so its UTC time moves', async () => {
    const made = await addRecurrence({
      userId: regular.id,
      tier: 2,
      weekday: 7,
      startTime: '20:00',
      durationMinutes: 720,
      startsOn: '2026-03-15',
      untilOn: '2026-04-05',
    });
    // The zone is recorded on the row; one with DST shows the rule (Berlin: CEST from 29 March).
    await env.db.query(`UPDATE rota_recurrences SET time_zone = 'Europe/Berlin' WHERE id = $1`, [
      made.body.id,
    ]);
    const view = await rota('2026-03-20T00:00:00Z', '2026-04-01T00:00:00Z');
    const starts = view.body.onCall
      .filter((o: { recurrenceId: string }) => o.recurrenceId === made.body.id)
      .map((o: { startsAt: string; endsAt: string }) => [o.startsAt, o.endsAt]);
    expect(starts).toEqual([
      ['2026-03-22T19:00:00.000Z', '2026-03-23T07:00:00.000Z'],
      ['2026-03-29T18:00:00.000Z', '2026-03-30T06:00:00.000Z'],
    ]);
    await http.delete(`/api/rota/recurrences/${made.body.id}`, { token: token.coordinator });
  });

  it('an exception skips one occurrence or gives it to someone else, and can be taken back', async () => {
    const made = await addRecurrence({
      userId: regular.id,
      tier: 1,
      weekday: 3,
      startTime: '22:00',
      durationMinutes: 600,
      startsOn: '2026-02-04',
    });
    const id = made.body.id as string;
    const occurrences = async () =>
      (await rota('2026-02-01T00:00:00Z', '2026-02-22T00:00:00Z')).body.onCall.filter(
        (o: { recurrenceId: string }) => o.recurrenceId === id,
      );
    expect((await occurrences()).map((o: { occursOn: string }) => o.occursOn)).toEqual([
      '2026-02-04',
      '2026-02-11',
      '2026-02-18',
    ]);
    const skip = await http.put(
      `/api/rota/recurrences/${id}/exceptions/2026-02-11`,
      { kind: 'skip' },
      { token: token.coordinator },
    );
    expect(skip.status).toBe(204);
    const replace = await http.put(
      `/api/rota/recurrences/${id}/exceptions/2026-02-18`,
      {
        kind: 'replace',
        userId: standIn.id,
        startsAt: '2026-02-18T20:00:00Z',
        endsAt: '2026-02-19T04:00:00Z',
      },
      { token: token.coordinator },
    );
    expect(replace.status).toBe(204);
    expect(await occurrences()).toEqual([
      expect.objectContaining({ occursOn: '2026-02-04', userId: regular.id, replaced: false }),
      expect.objectContaining({
        occursOn: '2026-02-18',
        userId: standIn.id,
        username: standIn.username,
        replaced: true,
        startsAt: '2026-02-18T20:00:00.000Z',
        endsAt: '2026-02-19T04:00:00.000Z',
      }),
    ]);
    const listed = (await rota('2026-02-01T00:00:00Z', '2026-02-22T00:00:00Z')).body.recurrences;
    expect(listed.find((r: { id: string }) => r.id === id).exceptions).toEqual([
      { occursOn: '2026-02-11', kind: 'skip' },
      { occursOn: '2026-02-18', kind: 'replace' },
    ]);
    const back = await http.delete(`/api/rota/recurrences/${id}/exceptions/2026-02-11`, {
      token: token.coordinator,
    });
    expect(back.status).toBe(204);
    expect((await occurrences()).map((o: { occursOn: string }) => o.occursOn)).toEqual([
      '2026-02-04',
      '2026-02-11',
      '2026-02-18',
    ]);
    await http.delete(`/api/rota/recurrences/${id}`, { token: token.coordinator });
    expect(await occurrences()).toEqual([]);
  });

  it('bad recurrences and exceptions are 400 with field messages, unknown ones 404', async () => {
    const bad = await addRecurrence({
      userId: regular.id,
      tier: 1,
      weekday: 8,
      startTime: '25:00',
      durationMinutes: 5,
      startsOn: '2026-02-30',
      untilOn: '2026-01-01',
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields).sort()).toEqual([
      'durationMinutes',
      'startTime',
      'startsOn',
      'weekday',
    ]);
    const backwards = await addRecurrence({
      userId: regular.id,
      tier: 1,
      weekday: 1,
      startTime: '09:00',
      durationMinutes: 60,
      startsOn: '2026-02-02',
      untilOn: '2026-01-01',
    });
    expect(backwards.status).toBe(400);
    expect(Object.keys(backwards.body.fields)).toEqual(['untilOn']);
    const wrongRole = await addRecurrence({
      userId: regular.id,
      tier: 3,
      weekday: 1,
      startTime: '09:00',
      durationMinutes: 60,
      startsOn: '2026-02-02',
    });
    expect(wrongRole.status).toBe(400);
    expect(wrongRole.body.error).toBe('wrong_tier_role');

    const made = await addRecurrence({
      userId: regular.id,
      tier: 1,
      weekday: 1,
      startTime: '09:00',
      durationMinutes: 60,
      startsOn: '2026-02-02',
    });
    const id = made.body.id as string;
    const tuesday = await http.put(
      `/api/rota/recurrences/${id}/exceptions/2026-02-03`,
      { kind: 'skip' },
      { token: token.coordinator },
    );
    expect(tuesday.status).toBe(400);
    expect(tuesday.body.error).toBe('not_an_occurrence');
    expect(Object.keys(tuesday.body.fields)).toEqual(['occursOn']);
    const beforeFirst = await http.put(
      `/api/rota/recurrences/${id}/exceptions/2026-01-26`,
      { kind: 'skip' },
      { token: token.coordinator },
    );
    expect(beforeFirst.body.error).toBe('not_an_occurrence');
    const notADate = await http.put(
      `/api/rota/recurrences/${id}/exceptions/02.02.2026`,
      { kind: 'skip' },
      { token: token.coordinator },
    );
    expect(notADate.status).toBe(400);
    expect(Object.keys(notADate.body.fields)).toEqual(['occursOn']);
    const noPerson = await http.put(
      `/api/rota/recurrences/${id}/exceptions/2026-02-09`,
      { kind: 'replace' },
      { token: token.coordinator },
    );
    expect(noPerson.status).toBe(400);
    expect(Object.keys(noPerson.body.fields).sort()).toEqual(['endsAt', 'startsAt', 'userId']);
    const far = await http.put(
      `/api/rota/recurrences/${id}/exceptions/2026-02-09`,
      {
        kind: 'replace',
        userId: standIn.id,
        startsAt: '2026-02-12T06:00:00Z',
        endsAt: '2026-02-12T07:00:00Z',
      },
      { token: token.coordinator },
    );
    expect(far.status).toBe(400);
    expect(far.body.error).toBe('replacement_too_far');
    const unknown = await http.delete(
      '/api/rota/recurrences/00000000-0000-4000-8000-000000000000',
      { token: token.coordinator },
    );
    expect(unknown.status).toBe(404);
    await http.delete(`/api/rota/recurrences/${id}`, { token: token.coordinator });
  });

  it('only coordinators manage recurring shifts', async () => {
    const refused = await addRecurrence(
      {
        userId: regular.id,
        tier: 1,
        weekday: 1,
        startTime: '09:00',
        durationMinutes: 60,
        startsOn: '2026-02-02',
      },
      token.regular,
    );
    expect(refused.status).toBe(403);
    expect((await env.db.query(`SELECT count(*)::int AS n FROM rota_recurrences`))[0].n).toBe(0);
  });

  describe('paging reads recurring shifts like one-off ones', () => {
    let recurrenceId: string;
    let today: string;

    const tier1Page = async (): Promise<string[]> => {
      const response = await http.post('/api/contacts', emergencyBody(), {
        token: token.volunteer,
      });
      expect(response.status).toBe(201);
      const [{ id: caseId }] = await env.db.query(
        `SELECT id FROM cases WHERE contact_id = $1 AND service = 'emergency'`,
        [response.body.id],
      );
      return eventually('the tier-1 page', async () => {
        const rows: Array<{ recipients: string[] }> = await env.db.query(
          `SELECT recipients FROM emergency_pages WHERE case_id = $1 AND tier = 1`,
          [caseId],
        );
        return rows[0]?.recipients;
      });
    };

    beforeAll(async () => {
      // Began an hour ago on today's weekday (local), for three hours, every week since then.
      const start = local(new Date(Date.now() - 3_600_000));
      today = start.date;
      const made = await addRecurrence({
        userId: regular.id,
        tier: 1,
        weekday: start.weekday,
        startTime: start.time,
        durationMinutes: 180,
        startsOn: start.date,
      });
      expect(made.status).toBe(201);
      recurrenceId = made.body.id;
    });

    it('an emergency raised during a recurring shift pages its responder', async () => {
      expect(await tier1Page()).toEqual([regular.id]);
    });

    it('during a skipped occurrence nobody from it is paged', async () => {
      expect(
        (
          await http.put(
            `/api/rota/recurrences/${recurrenceId}/exceptions/${today}`,
            { kind: 'skip' },
            { token: token.coordinator },
          )
        ).status,
      ).toBe(204);
      expect(await tier1Page()).toEqual([]);
    });

    it('during a replaced occurrence the stand-in is paged instead', async () => {
      expect(
        (
          await http.put(
            `/api/rota/recurrences/${recurrenceId}/exceptions/${today}`,
            {
              kind: 'replace',
              userId: standIn.id,
              startsAt: new Date(Date.now() - 600_000).toISOString(),
              endsAt: new Date(Date.now() + 3_600_000).toISOString(),
            },
            { token: token.coordinator },
          )
        ).status,
      ).toBe(204);
      expect(await tier1Page()).toEqual([standIn.id]);
    });

    it('once the exception is taken back, the regular responder is paged again', async () => {
      await http.delete(`/api/rota/recurrences/${recurrenceId}/exceptions/${today}`, {
        token: token.coordinator,
      });
      expect(await tier1Page()).toEqual([regular.id]);
    });
  });
});
