import { AuditTrail, AuditVerifier } from '@mayak/audit';
import { createHmac } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  createTestEnvironment,
  keylessAuditTrail,
  runApp,
  startApi,
  RunningApi,
  TestEnvironment,
} from '@mayak/testing';

describe('the audit trail', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let audit: AuditTrail;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    audit = api.app.get(AuditTrail);
  });
  afterAll(async () => {
    await api?.close();
    await env?.dispose();
  });

  const verify = () => runApp('cli', ['verify-audit'], env.env);

  it('verify-audit accepts an intact chain, written by many writers at once', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        audit.record(
          i % 2 === 0
            ? {
                actorId: null,
                action: 'test.event',
                recordType: 'case',
                recordId: String(i),
                outcome: 'allow',
              }
            : [
                { actorId: null, action: 'test.batch', outcome: 'deny', reason: 'role' },
                { actorId: null, action: 'test.batch', outcome: 'success', breakGlass: true },
              ],
        ),
      ),
    );
    const result = await verify();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^OK: 60 entries verified; head entry 60 [0-9a-f]{64}\n$/);
    // The same walk in small batches crosses batch boundaries (seq 9 → 10 sorts wrongly as text).
    await expect(api.app.get(AuditVerifier).verify(7)).resolves.toMatchObject({
      ok: true,
      entries: 60,
    });
  });

  it('the application cannot UPDATE, DELETE or TRUNCATE audit rows', async () => {
    await expect(
      env.db.query(`UPDATE audit_entries SET reason = 'edited' WHERE seq = 1`),
    ).rejects.toThrow(/append-only/);
    await expect(env.db.query(`DELETE FROM audit_entries WHERE seq = 1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(env.db.query(`TRUNCATE audit_entries`)).rejects.toThrow(/append-only/);
    // Nor the links: once written, a link stays.
    await expect(env.db.query(`UPDATE audit_links SET hash = hash WHERE seq = 1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(env.db.query(`DELETE FROM audit_links WHERE seq = 1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(env.db.query(`TRUNCATE audit_links`)).rejects.toThrow(/append-only/);
    // Through the application's own connection pool, its role has no DELETE right at all.
    await expect(api.app.get(DataSource).query(`DELETE FROM audit_entries`)).rejects.toThrow(
      /permission denied/,
    );
    const [{ count }] = await env.db.query(`SELECT count(*)::int AS count FROM audit_entries`);
    expect(count).toBe(60);
  });

  /** What an attacker with superuser rights could do: bypass the triggers and edit. */
  async function tamper(sql: string): Promise<void> {
    await env.db.transaction(async (em) => {
      await em.query(`SET LOCAL session_replication_role = replica`);
      await em.query(sql);
    });
  }

  it('an edited entry is found by verify-audit', async () => {
    await tamper(
      `UPDATE audit_entries SET outcome = CASE WHEN outcome = 'allow' THEN 'deny' ELSE 'allow' END WHERE seq = 17`,
    );
    const result = await verify();
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      'BROKEN at entry 17: content altered (16 entries before it verified)\n',
    );
  });

  it('an attacker who edits an entry and rebuilds the chain without the key is caught', async () => {
    const fresh = await createTestEnvironment();
    try {
      const trail = keylessAuditTrail(fresh.db);
      for (let i = 0; i < 6; i++)
        await trail.record({ actorId: null, action: 'test.event', outcome: 'deny' });
      expect((await runApp('cli', ['verify-audit'], fresh.env)).code).toBe(0);
      // Edit entry 3 and recompute every link from there on, as one would for a plain SHA-256
      // chain, with a key of one's own.
      const rows = await fresh.db.query(
        `SELECT seq, chain_pos, prev_hash, hash FROM audit_links ORDER BY chain_pos`,
      );
      await fresh.db.transaction(async (em) => {
        await em.query(`SET LOCAL session_replication_role = replica`);
        await em.query(`UPDATE audit_entries SET outcome = 'allow' WHERE seq = 3`);
        let previous: Buffer = rows[1].hash;
        for (const row of rows.slice(2)) {
          const forged = createHmac('sha256', 'a guessed key')
            .update(previous)
            .update(String(row.seq))
            .digest();
          await em.query(`UPDATE audit_links SET prev_hash = $2, hash = $3 WHERE seq = $1`, [
            row.seq,
            previous,
            forged,
          ]);
          previous = forged;
        }
      });
      const result = await runApp('cli', ['verify-audit'], fresh.env);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(
        'BROKEN at entry 3: content altered (2 entries before it verified)\n',
      );
    } finally {
      await fresh.dispose();
    }
  });

  it('no entry can be updated, linked or not; an unlinked one is linked once, by a row of its own', async () => {
    await expect(
      env.db.query(`UPDATE audit_entries SET reason = reason WHERE seq = 2`),
    ).rejects.toThrow(/append-only/);
    await env.db.query(
      `INSERT INTO audit_entries (actor_id, action, outcome) VALUES (NULL, 'test.unlinked', 'allow')`,
    );
    // Queued by the statement that appended it.
    const [{ seq }] = await env.db.query(`SELECT seq FROM audit_unlinked`);
    await expect(
      env.db.query(`UPDATE audit_entries SET reason = 'x' WHERE seq = $1`, [seq]),
    ).rejects.toThrow(/append-only/);
    // Nor its sealed exact time, which the chain covers too.
    await expect(
      env.db.query(`UPDATE audit_entries SET at_enc = '\\x01' WHERE seq = $1`, [seq]),
    ).rejects.toThrow(/append-only/);
    // Deleting it is refused as well (the guard's own trigger for DELETE).
    await expect(env.db.query(`DELETE FROM audit_entries WHERE seq = $1`, [seq])).rejects.toThrow(
      /append-only/,
    );
    const linkOnce = env.db.transaction(async (em) => {
      // Its link takes it off the queue in the same statement; a second link is refused.
      await em.query(
        `INSERT INTO audit_links (chain_pos, seq, prev_hash, hash) VALUES (999, $1, '\\x00', '\\x00')`,
        [seq],
      );
      expect(await em.query(`SELECT seq FROM audit_unlinked`)).toEqual([]);
      await expect(
        em.query(
          `INSERT INTO audit_links (chain_pos, seq, prev_hash, hash) VALUES (1000, $1, '\\x00', '\\x00')`,
          [seq],
        ),
      ).rejects.toThrow(/audit_links_seq_key/);
      throw new Error('rolled back');
    });
    await expect(linkOnce).rejects.toThrow('rolled back');
    // Rolled back: the entry waits for the chainer still.
    expect(await env.db.query(`SELECT seq FROM audit_unlinked`)).toEqual([{ seq }]);
  });

  it('a deleted entry is found by verify-audit', async () => {
    const fresh = await createTestEnvironment();
    try {
      const trail = keylessAuditTrail(fresh.db);
      for (let i = 0; i < 5; i++)
        await trail.record({ actorId: null, action: 'test.event', outcome: 'success' });
      // Linked first (the worker does this within a quarter of a second of the append).
      expect((await runApp('cli', ['verify-audit'], fresh.env)).code).toBe(0);
      // The entry alone: its link names an entry that is gone.
      await fresh.db.transaction(async (em) => {
        await em.query(`SET LOCAL session_replication_role = replica`);
        await em.query(`DELETE FROM audit_entries WHERE seq = 3`);
      });
      let result = await runApp('cli', ['verify-audit'], fresh.env);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(
        'BROKEN at entry 3: chain broken (2 entries before it verified)\n',
      );
      // The entry and its link: the next link does not follow on.
      await fresh.db.transaction(async (em) => {
        await em.query(`SET LOCAL session_replication_role = replica`);
        await em.query(`DELETE FROM audit_links WHERE seq = 3`);
      });
      result = await runApp('cli', ['verify-audit'], fresh.env);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(
        'BROKEN at entry 4: chain broken (2 entries before it verified)\n',
      );
    } finally {
      await fresh.dispose();
    }
  });
});
