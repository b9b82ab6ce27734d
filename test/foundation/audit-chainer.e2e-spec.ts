import { AuditChainer, AuditTrail } from '@mayak/audit';
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
    (
      await env.db.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM audit_entries WHERE chain_pos IS NULL`,
      )
    )[0].n;

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
});
