import { AuditChainer, AuditVerifier, canonicalEntry, ChainedRow, GENESIS } from '@mayak/audit';
import { KeyedHash, KeyRing } from '@mayak/platform';
import { createTestEnvironment, schemaBefore, TestEnvironment, upgradeTo } from '@mayak/testing';

const AUDIT_LINKS = 'AuditLinks1767200000000';

/**
 * An installation upgraded in place: its chain's links move out of `audit_entries` into
 * `audit_links`, and the entries it had not linked yet into the queue, so the chain goes on
 * where it was and the verifier still finds an edit.
 */
describe('the audit chain upgraded to links of their own', () => {
  let env: TestEnvironment;
  let ring: KeyRing;
  const actions = ['old.a', 'old.b', 'old.c', 'old.d', 'old.e'];

  beforeAll(async () => {
    env = await createTestEnvironment();
    await env.wipe();
    ring = await schemaBefore(env, AUDIT_LINKS);
    for (const action of actions)
      await env.db.query(
        `INSERT INTO audit_entries (actor_id, action, outcome, reason) VALUES (NULL, $1, 'allow', 'before')`,
        [action],
      );
    // Linked as the version before did, in commit order: 1, 3, 2 (an entry committed late);
    // 4 and 5 not linked yet.
    const keyed = new KeyedHash(ring);
    let previous: Buffer = GENESIS;
    for (const [n, seq] of ['1', '3', '2'].entries()) {
      const [row] = await env.db.query<Array<Omit<ChainedRow, 'chain_pos'>>>(
        `SELECT seq::text AS seq, at, at_enc, actor_id, action, record_type, record_id, outcome, reason, break_glass
           FROM audit_entries WHERE seq = $1`,
        [seq],
      );
      const link = keyed.auditLink(
        previous,
        canonicalEntry({ ...row, chain_pos: String(n + 1) }),
        0,
      );
      await env.db.query(
        `UPDATE audit_entries SET chain_pos = $2, prev_hash = $3, hash = $4 WHERE seq = $1`,
        [seq, n + 1, previous, link],
      );
      previous = link;
    }
    expect(await upgradeTo(env)).toContain(AUDIT_LINKS);
  });
  afterAll(async () => {
    ring?.wipe();
    await env?.dispose();
  });

  it('keeps every link as it was, queues the rest, and the chain goes on from its head', async () => {
    expect(
      await env.db.query(`SELECT seq::int, chain_pos::int FROM audit_links ORDER BY chain_pos`),
    ).toEqual([
      { seq: 1, chain_pos: 1 },
      { seq: 3, chain_pos: 2 },
      { seq: 2, chain_pos: 3 },
    ]);
    expect(await env.db.query(`SELECT seq::int FROM audit_unlinked ORDER BY seq`)).toEqual([
      { seq: 4 },
      { seq: 5 },
    ]);
    const keyed = new KeyedHash(ring);
    const verifier = new AuditVerifier(env.db, keyed, ring);
    await expect(verifier.verify()).resolves.toMatchObject({ ok: true, entries: 3, unlinked: 2 });
    await expect(new AuditChainer(env.db, keyed, ring).chainPending()).resolves.toBe(2);
    await expect(verifier.verify(2)).resolves.toMatchObject({ ok: true, entries: 5, unlinked: 0 });
    // New entries are queued and linked as before.
    await env.db.query(
      `INSERT INTO audit_entries (actor_id, action, outcome) VALUES (NULL, 'new.f', 'allow'), (NULL, 'new.g', 'deny')`,
    );
    expect(await env.db.query(`SELECT seq::int FROM audit_unlinked ORDER BY seq`)).toEqual([
      { seq: 6 },
      { seq: 7 },
    ]);
    await expect(new AuditChainer(env.db, keyed, ring).chainPending()).resolves.toBe(2);
    await expect(verifier.verify()).resolves.toMatchObject({ ok: true, entries: 7, unlinked: 0 });
  });

  it('finds an edit to an entry linked before the upgrade', async () => {
    await env.db.transaction(async (em) => {
      await em.query(`SET LOCAL session_replication_role = replica`);
      await em.query(`UPDATE audit_entries SET reason = 'edited' WHERE seq = 2`);
    });
    await expect(new AuditVerifier(env.db, new KeyedHash(ring), ring).verify()).resolves.toEqual({
      ok: false,
      entries: 2,
      brokenAt: '2',
      problem: 'content_altered',
    });
  });
});
