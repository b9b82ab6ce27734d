import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { KeyRotation } from '@mayak/custody';
import { DecryptionError, EnvelopeCipher, KeyRing } from '@mayak/platform';
import { StatisticsService, StatsRollupService } from '@mayak/statistics';
import {
  contactBody,
  createTestEnvironment,
  createUser,
  eventually,
  HttpClient,
  initCustody,
  privateDir,
  runApp,
  RunningApi,
  sealedOverrides,
  signIn,
  startApi,
  startWorker,
  TestEnvironment,
  TestUser,
} from '@mayak/testing';
import { DataSource } from 'typeorm';

/** The master key fingerprint inside a wrapped data key, as SQL reads it. */
const KEY_ID = `encode(substring(dek_wrapped from 2 for 4), 'hex')`;

/**
 * Key rotation in sealed custody, as an operator runs it: online while volunteers keep
 * logging contacts, resumable after a crash, the audit chain continuous across the change,
 * the caller-recognition key rotated on request, and a retired master key destroyed so that a
 * backup from before the rotation no longer opens an erased record.
 */
describe('key rotation', () => {
  let env: TestEnvironment;
  let dir: string;
  let api: RunningApi | undefined;
  let worker: INestApplicationContext | undefined;
  let shares: string[];
  let http: HttpClient;
  let volunteer: TestUser;
  let token: string;
  let saved = 0;

  beforeAll(async () => {
    env = await createTestEnvironment(sealedOverrides());
    dir = await privateDir('key-rotation');
    shares = await initCustody(env);
    await startUnsealed();
    volunteer = await createUser(api!.app, ['volunteer']);
    token = await signIn(http, volunteer);
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([api?.close(), worker?.close()]);
    await env?.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function startUnsealed(): Promise<void> {
    api = await startApi(env);
    worker = await startWorker(env);
    http = new HttpClient(api.url);
    for (const share of shares.slice(0, 2)) await http.post('/api/unseal', { share });
    await eventually('the worker to unseal', async () => !worker!.get(KeyRing).sealed, 5_000, 10);
  }

  const operator = () => ({ ...env.env, DATABASE_MIGRATION_URL: env.superuserUrl });
  const logContact = async (overrides: Record<string, unknown> = {}) => {
    const i = saved++;
    const receipt = await http.post<{
      id: string;
      callerId: string;
      repeatCaller: { previousContacts: number };
    }>('/api/contacts', contactBody({ summary: `rotation ${i}`, ...overrides }), {
      token,
      headers: { 'idempotency-key': `rotation-${i}` },
    });
    expect(receipt.status).toBe(201);
    return receipt.body;
  };
  /** Data keys per master key fingerprint, over every table that has them. */
  const dataKeysByMaster = async (): Promise<Record<string, number>> => {
    const rows: Array<{ id: string; n: number }> = await env.db.query(
      `SELECT id, sum(n)::int AS n FROM (
         SELECT ${KEY_ID} AS id, count(*) AS n FROM contacts WHERE dek_wrapped IS NOT NULL GROUP BY 1
         UNION ALL SELECT ${KEY_ID}, count(*) FROM callers WHERE dek_wrapped IS NOT NULL GROUP BY 1
         UNION ALL SELECT ${KEY_ID}, count(*) FROM users GROUP BY 1
         UNION ALL SELECT ${KEY_ID}, count(*) FROM case_notes WHERE dek_wrapped IS NOT NULL GROUP BY 1
         UNION ALL SELECT ${KEY_ID}, count(*) FROM stats_rollups GROUP BY 1
         UNION ALL SELECT ${KEY_ID}, count(*) FROM stats_retired GROUP BY 1) k
       GROUP BY id`,
    );
    return Object.fromEntries(rows.map((r) => [r.id, r.n]));
  };
  const generations = async () =>
    (await env.db.query(
      `SELECT kind, generation, state, encode(key_id, 'hex') AS id, destroy_after FROM key_generations ORDER BY kind, generation`,
    )) as Array<{
      kind: string;
      generation: number;
      state: string;
      id: string;
      destroy_after: Date | null;
    }>;
  const currentMaster = async () =>
    (await generations()).filter((g) => g.kind === 'master' && g.state === 'active').at(-1)!;
  const settle = () =>
    eventually(
      'the outbox and the audit chain to settle',
      async () =>
        (
          await env.db.query(
            `SELECT 1 FROM outbox WHERE status <> 'done' UNION ALL SELECT 1 FROM audit_unlinked`,
          )
        ).length === 0,
      30_000,
      50,
    );
  const summaries = async () => {
    const mine = await http.get<Array<{ summary: string | null }>>('/api/contacts/mine', { token });
    expect(mine.status).toBe(200);
    return mine.body.map((c) => c.summary);
  };
  const verifyAudit = async () => {
    const verified = await runApp('cli', ['verify-audit'], env.env);
    expect(verified.stdout).toMatch(/^OK: \d+ entries verified/);
    expect(verified.code).toBe(0);
  };

  it('a fresh setup keeps no master or caller key that the root derives: both are random, in the keystore', async () => {
    const rows = await generations();
    expect(rows.map((r) => `${r.kind}:${r.generation}:${r.state}`)).toEqual([
      'caller:0:destroyed',
      'caller:1:active',
      'master:0:destroyed',
      'master:1:active',
    ]);
    // Every table with data keys is found in the catalog, each bound to its primary key.
    const tables = await api!.app.get(KeyRotation).dataKeyTables();
    expect(tables.map((t) => `${t.table}.${t.key}`)).toEqual([
      'break_glass_grants.id',
      'callers.id',
      'case_follow_ups.id',
      'case_handovers.id',
      'case_notes.id',
      'contact_facts.contact_id',
      'contacts.id',
      'referrals.id',
      'staff_webhooks.user_id',
      'stats_retired.id',
      'stats_rollups.id',
      'users.id',
    ]);
  });

  /** Every sealed statistics row, its data key opened as the worker would. */
  const openStatistics = async () => {
    const cipher = worker!.get(EnvelopeCipher);
    const rows: Array<{ table: string; id: string; dek_wrapped: Buffer }> = await env.db.query(
      `SELECT 'stats_rollups' AS table, id, dek_wrapped FROM stats_rollups
       UNION ALL SELECT 'stats_retired', id, dek_wrapped FROM stats_retired`,
    );
    for (const row of rows) cipher.unwrapDataKey(row.table, row.id, row.dek_wrapped);
    return rows.length;
  };

  /** Contacts logged while the rotation runs, at most; with the others, under the list's 500. */
  const DURING = 400;

  it('rotates online: every data key is re-wrapped while contacts keep coming, and everything still opens', async () => {
    for (let i = 0; i < 30; i++) await logContact();
    // Sealed statistics too: the rollups of those days, and a retired part for one of them.
    await worker!.get(StatsRollupService).incremental();
    const [first] = await env.db.query(`SELECT id FROM contacts LIMIT 1`);
    await worker!
      .get(DataSource)
      .transaction((em) => worker!.get(StatsRollupService).retire(em, [first.id]));
    const [statsRows] = await env.db.query(
      `SELECT (SELECT count(*) FROM stats_rollups)::int AS rollups, (SELECT count(*) FROM stats_retired)::int AS retired`,
    );
    expect(statsRows.rollups).toBeGreaterThanOrEqual(2);
    expect(statsRows.retired).toBe(1);
    const before = await currentMaster();
    expect(Object.keys(await dataKeysByMaster())).toEqual([before.id]);

    // Volunteers keep logging while the operator rotates from the command line: one contact
    // every 10 ms, DURING at most. "My contacts" lists a volunteer's latest 500 and the checks
    // below read every contact back through it (unpaced, a slow machine logged 659).
    let logging = true;
    const during = (async () => {
      let n = 0;
      while (logging && n < DURING) {
        await logContact();
        n += 1;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return n;
    })();
    const rotated = await runApp('cli', ['rotate-keys'], env.env);
    logging = false;
    const loggedDuring = await during;
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/rotated: master key → generation 2, audit key → generation 1/);
    expect(rotated.stdout).toMatch(/nothing else was decrypted/);
    // At least the 30 contacts logged before and their callers: counted as really rewritten.
    expect(Number(/re-wrapped (\d+) data keys/.exec(rotated.stdout)?.[1])).toBeGreaterThanOrEqual(
      60,
    );
    expect(loggedDuring).toBeGreaterThan(0);

    const after = await currentMaster();
    expect(after.generation).toBe(2);
    // Every data key, old and new, is under the new master key.
    const byMaster = await dataKeysByMaster();
    expect(Object.keys(byMaster)).toEqual([after.id]);
    // Contacts and their callers (contact-back consent keeps an encrypted identifier), and users.
    expect(byMaster[after.id]).toBeGreaterThanOrEqual(2 * (30 + loggedDuring) + 1);
    const retired = (await generations()).find((g) => g.kind === 'master' && g.generation === 1)!;
    expect(retired.state).toBe('retiring');
    // Destroyed BACKUP_RETENTION_DAYS (30) after the rotation, not before.
    expect(retired.destroy_after!.getTime() - Date.now()).toBeGreaterThan(29.9 * 86_400_000);

    expect((await summaries()).filter((s) => s?.startsWith('rotation '))).toHaveLength(saved);
    // The statistics' data keys are among those re-wrapped, and open; so do their cells.
    expect(await openStatistics()).toBeGreaterThanOrEqual(3);
    // Rebuilt from scratch under the new master key: every contact's sealed facts, and the
    // retired part, open (not left to the next scheduled rollup, which may not have run yet).
    await worker!.get(StatsRollupService).full();
    // (Through the worker's own statistics service: nothing of them is in its memory yet.)
    const day = (offset: number) =>
      new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const months = await worker!.get(StatisticsService).compute(
      {
        from: day(-1),
        to: day(1),
        period: 'month',
        measure: 'contacts',
        groupBy: [],
        filters: {},
      },
      { unprotected: true },
    );
    // Every contact, those logged during the rotation too, and the one counted again as retired.
    expect(months.rows.reduce((n, r) => n + (r.count ?? 0), 0)).toBe(30 + loggedDuring + 1);
    await settle();
    // The chain goes on across the audit key's change, by an entry the old key links.
    const [link] = await env.db.query(
      `SELECT record_id, reason, l.chain_pos FROM audit_entries e JOIN audit_links l USING (seq) WHERE action = 'audit.key.rotated'`,
    );
    expect(link.record_id).toBe('1');
    expect(link.reason).toBe(
      (await generations()).find((g) => g.kind === 'audit' && g.generation === 1)!.id,
    );
    const [{ later }] = await env.db.query(
      `SELECT count(*)::int AS later FROM audit_links WHERE chain_pos > $1`,
      [link.chain_pos],
    );
    expect(later).toBeGreaterThan(0);
    await verifyAudit();
  }, 120_000);

  it('a rotation cut short by a crash resumes where it stopped, without a second new key', async () => {
    for (let i = 0; i < 20; i++) await logContact();
    const rotation = api!.app.get(KeyRotation);
    await expect(
      rotation.rotate({
        batchSize: 5,
        onBatch: () => {
          throw new Error('the operator’s laptop died');
        },
      }),
    ).rejects.toThrow('laptop died');
    const current = await currentMaster();
    expect(current.generation).toBe(3);
    const split = await dataKeysByMaster();
    // Half-done: some data keys under the new key, most still under the old.
    expect(Object.keys(split)).toHaveLength(2);
    expect(split[current.id]).toBeGreaterThan(0);
    // Meanwhile everything still opens.
    expect((await summaries()).filter((s) => s?.startsWith('rotation '))).toHaveLength(saved);

    const resumed = await runApp('cli', ['rotate-keys', '--json'], env.env);
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as { report: { rotated: unknown[] } };
    expect(report.report.rotated).toEqual([]);
    expect((await currentMaster()).generation).toBe(3);
    expect(Object.keys(await dataKeysByMaster())).toEqual([current.id]);
    await settle();
    await verifyAudit();
  }, 120_000);

  it('the caller-recognition key rotates on request: callers who agreed to be contacted back are still recognised, the others start afresh', async () => {
    const kept = '+79161234501';
    const dropped = '+79161234502';
    await logContact({ caller: { ...contactBody().caller, identifier: kept } });
    await logContact({
      caller: { ...contactBody().caller, identifier: dropped },
      consent: { ...contactBody().consent, scopes: ['service:legal', 'statistics'] },
    });
    const lookup = async (identifier: string) =>
      (
        await http.post<{ previousContacts: number }>(
          '/api/callers/lookup',
          { identifier },
          { token },
        )
      ).body.previousContacts;
    expect([await lookup(kept), await lookup(dropped)]).toEqual([1, 1]);

    const rotated = await runApp('cli', ['rotate-keys', '--caller-key'], env.env);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/caller key → generation 2/);
    expect(rotated.stdout).toMatch(/caller hashes: \d+ redone .* \d+ dropped/);
    expect([await lookup(kept), await lookup(dropped)]).toEqual([1, 0]);
    // The old caller key is gone at once: nothing uses it any more.
    const callers = (await generations()).filter((g) => g.kind === 'caller');
    expect(callers.map((g) => `${g.generation}:${g.state}`)).toEqual([
      '0:destroyed',
      '1:destroyed',
      '2:active',
    ]);
    const [{ stale }] = await env.db.query(
      `SELECT count(*)::int AS stale FROM callers WHERE identifier_hash IS NOT NULL AND hash_generation <> 2`,
    );
    expect(stale).toBe(0);
    // The next call of the one kept counts the earlier one.
    expect(
      (await logContact({ caller: { ...contactBody().caller, identifier: kept } })).repeatCaller,
    ).toEqual({ previousContacts: 1 });
  }, 120_000);

  it('once the retired master key is destroyed, a backup from before the rotation no longer opens an erased record', async () => {
    const erased = await logContact({ summary: 'to be erased' });
    const identity = path.join(dir, 'holder.identity');
    execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', identity], { encoding: 'utf8' }).trim();
    const backup = async (name: string) => {
      await fs.mkdir(path.join(dir, name));
      const made = await runApp(
        'cli',
        ['backup', '--out', path.join(dir, name, 'backup.age'), '--recipient', recipient],
        operator(),
      );
      expect(made.stderr).toBe('');
      expect(made.code).toBe(0);
      return {
        data: path.join(dir, name, 'backup.age'),
        keystore: path.join(dir, name, 'keystore.age'),
      };
    };
    await settle();
    const before = await backup('before');

    // The caller withdraws: the record's data key is destroyed in the live database.
    const withdrawn = await http.post(
      `/api/callers/${erased.callerId}/consent/withdraw`,
      { scopes: ['service:legal'] },
      { token },
    );
    expect(withdrawn.status).toBe(200);
    const [row] = await env.db.query(`SELECT dek_wrapped FROM contacts WHERE id = $1`, [erased.id]);
    expect(row.dek_wrapped).toBeNull();

    const rotation = api!.app.get(KeyRotation);
    const report = await rotation.rotate();
    expect(report.destroyed).toEqual([]);
    // BACKUP_RETENTION_DAYS later, the scheduled maintenance destroys the retired key.
    const later = await rotation.maintain(new Date(Date.now() + 31 * 86_400_000));
    expect(later?.destroyed.map((d) => `${d.kind}:${d.generation}`)).toContain('master:3');
    const destroyed = (await generations()).find((g) => g.kind === 'master' && g.generation === 3)!;
    expect(destroyed.state).toBe('destroyed');
    const [{ wrapped }] = await env.db.query(
      `SELECT wrapped FROM key_generations WHERE kind = 'master' AND generation = 3`,
    );
    expect(wrapped).toBeNull();
    await settle();
    const after = await backup('after');
    await verifyAudit();

    // The drill: restore the old backup with the current keystore export, unseal.
    const tryRestore = async (keystore: string) => {
      await Promise.all([api!.close(), worker!.close()]);
      api = worker = undefined;
      await env.wipe();
      const restored = await runApp(
        'cli',
        ['restore', '--in', before.data, '--identity', identity, '--keystore', keystore],
        operator(),
      );
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      await startUnsealed();
      const [old] = await env.db.query(`SELECT dek_wrapped FROM contacts WHERE id = $1`, [
        erased.id,
      ]);
      expect(old.dek_wrapped).not.toBeNull();
      const cipher = api!.app.get(EnvelopeCipher);
      try {
        cipher.unwrapDataKey('contacts', erased.id, old.dek_wrapped as Buffer);
        return 'opens';
      } catch (error) {
        if (error instanceof DecryptionError) return 'ciphertext only';
        throw error;
      }
    };
    expect(await tryRestore(after.keystore)).toBe('ciphertext only');
    // Every record of that backup is gone the same way, not only the erased one.
    const [{ opened }] = await env.db.query(
      `SELECT count(*)::int AS opened FROM contacts WHERE dek_wrapped IS NOT NULL AND ${KEY_ID} = $1`,
      [(await currentMaster()).id],
    );
    expect(opened).toBe(0);
    // Why an old keystore export must not be kept: with it, the same backup opens again.
    expect(await tryRestore(before.keystore)).toBe('opens');
  }, 180_000);
});
