import { AuditChainer, AuditTrail, AuditVerifier } from '@mayak/audit';
import { createTestEnvironment, startApi, RunningApi, TestEnvironment } from '@mayak/testing';

/** Several workers each run a chainer: one links while the others pass their round. */
describe('the audit chainer beside another', () => {
  let env: TestEnvironment;
  let api: RunningApi;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const unlinked = async () =>
    (await env.db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM audit_unlinked`))[0]
      .n;

  it('skips its round while another holds the chain, and waits only when asked to link all', async () => {
    const chainer = api.app.get(AuditChainer);
    await chainer.chainPending();
    await api.app.get(AuditTrail).record(
      Array.from({ length: 3 }, (_, i) => ({
        actorId: null,
        action: 'test.event',
        recordType: 'case',
        recordId: String(i),
        outcome: 'allow' as const,
      })),
    );
    expect(await unlinked()).toBe(3);

    // Another chainer's transaction, holding the chain's lock.
    const other = env.db.createQueryRunner();
    await other.connect();
    await other.startTransaction();
    await other.query(`SELECT pg_advisory_xact_lock(hashtext('mayak.audit-chain'))`);
    try {
      await expect(chainer.chainPending({ ifIdle: true })).resolves.toBe(0);
      expect(await unlinked()).toBe(3);
      let done = false;
      const waiting = chainer.chainPending().then((n) => ((done = true), n));
      await new Promise((r) => setTimeout(r, 300));
      expect(done).toBe(false);
      await other.commitTransaction();
      await expect(waiting).resolves.toBe(3);
    } finally {
      if (other.isTransactionActive) await other.rollbackTransaction();
      await other.release();
    }
    expect(await unlinked()).toBe(0);

    await api.app.get(AuditTrail).record({
      actorId: null,
      action: 'test.event',
      recordType: 'case',
      recordId: 'after',
      outcome: 'allow',
    });
    await expect(chainer.chainPending({ ifIdle: true })).resolves.toBe(1);
  });
  const record = (action: string) =>
    api.app.get(AuditTrail).record({ actorId: null, action, outcome: 'allow' as const });

  it('links an entry committed after later ones, however low its id, and passes over a rolled-back id', async () => {
    const chainer = api.app.get(AuditChainer);
    await chainer.chainPending();
    const late = env.db.createQueryRunner();
    const aborted = env.db.createQueryRunner();
    await late.connect();
    await aborted.connect();
    try {
      await late.startTransaction();
      await aborted.startTransaction();
      const [{ seq: lateSeq }] = await late.query(
        `INSERT INTO audit_entries (actor_id, action, outcome, at) VALUES (NULL, 'test.late', 'allow', now()) RETURNING seq::text AS seq`,
      );
      await aborted.query(
        `INSERT INTO audit_entries (actor_id, action, outcome, at) VALUES (NULL, 'test.aborted', 'allow', now())`,
      );
      await record('test.early');
      // Only what is committed: the early entry, whose id is above the late one's.
      await expect(chainer.chainPending()).resolves.toBe(1);
      await aborted.rollbackTransaction();
      await late.commitTransaction();
      // An "id above the last linked" scan would never see it again.
      await expect(chainer.chainPending()).resolves.toBe(1);
      const [{ pos }] = await env.db.query(
        `SELECT chain_pos::text AS pos FROM audit_links WHERE seq = $1`,
        [lateSeq],
      );
      const [{ head }] = await env.db.query(`SELECT max(chain_pos)::text AS head FROM audit_links`);
      expect(pos).toBe(head);
    } finally {
      for (const runner of [late, aborted]) {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
    }
    expect(await unlinked()).toBe(0);
    await expect(api.app.get(AuditVerifier).verify(3)).resolves.toMatchObject({
      ok: true,
      unlinked: 0,
    });
  });

  it('still counts an entry someone took off the queue as unlinked', async () => {
    await api.app.get(AuditChainer).chainPending();
    await record('test.stranded');
    // A superuser's doing: the application's role may not touch the queue.
    await env.db.query(`DELETE FROM audit_unlinked`);
    await expect(api.app.get(AuditChainer).chainPending()).resolves.toBe(0);
    await expect(api.app.get(AuditVerifier).verify()).resolves.toMatchObject({
      ok: true,
      unlinked: 1,
    });
  });
});
