import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_KEY_ROTATED, AuditTrail } from '@mayak/audit';
import {
  affectedOf,
  AppConfig,
  DecryptionError,
  EnvelopeCipher,
  KEY_KINDS,
  KeyedHash,
  KeyKind,
  KeyRing,
  Logger,
  LOGGER,
  newGeneration,
  withSessionLock,
} from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { KeyLoader } from './key-loader.service';
import { Keystore } from './keystore';
import { PeerLink } from './peer-link.service';

/** Serialises rotations, resumptions and retirements across every process. */
const ROTATION_LOCK = 'mayak.key-rotation';
const BATCH = 500;
/**
 * After the keystore changes, every process has loaded it within this long (a NOTIFY at
 * once, a poll every 2 s otherwise). Only a pass that starts later can be the last: before,
 * a process that has not heard yet may still write under the old key.
 */
const SETTLE_MS = 2_500;

/** A table with data keys: their column is `dek_wrapped`, bound to the row's primary key. */
export interface DataKeyTable {
  table: string;
  key: string;
  keyType: string;
}

export interface RotationProgress {
  table: string;
  rewrapped: number;
}

export interface RotationReport {
  /** The generations this run created (empty when it only finished an earlier one). */
  rotated: Array<{ kind: KeyKind; generation: number }>;
  /** Data keys re-wrapped under the current master key, per table. */
  rewrapped: Record<string, number>;
  /** Caller hashes redone under the new key, and those dropped (no identifier kept). */
  callers: { rehashed: number; forgotten: number };
  /** Generations destroyed by this run. */
  destroyed: Array<{ kind: KeyKind; generation: number }>;
}

export interface GenerationStatus {
  kind: KeyKind;
  generation: number;
  state: 'active' | 'retiring' | 'destroyed';
  createdAt: Date;
  destroyAfter: Date | null;
  /** Master keys: how many data keys are still wrapped under this one. */
  dataKeys?: number;
}

export interface RotationOptions {
  /** Also rotate the caller-recognition key (see `rotate`). */
  callerKey?: boolean;
  /** Called after each batch; tests use it to crash a rotation halfway. */
  onBatch?: (progress: RotationProgress) => void;
  batchSize?: number;
}

/**
 * Key rotation, online. A new master key generation becomes current at once (every process
 * loads it within seconds); then every data key is re-wrapped under it, in batches, while the
 * system keeps serving. Nothing but the data keys is ever decrypted. The progress is in the
 * data itself (each wrapped key names its master key), so a rotation cut short resumes where
 * it stopped: running it again finishes it before starting another.
 *
 * The replaced master key is retired, and destroyed BACKUP_RETENTION_DAYS later: from then on
 * every backup taken under it is ciphertext only, and so is every record erased since.
 *
 * The audit-chain key rotates with it, by an entry linked under the old key that names the
 * new one; old audit keys are kept, to verify the chain from its start.
 *
 * The caller-recognition key rotates only on request: a hash cannot be redone without the
 * identifier it was made from, which is kept (encrypted) only for callers who agreed to be
 * contacted back. Every other caller's hash is dropped, and their next call starts a new,
 * unlinked caller. The old key is destroyed as soon as no hash uses it.
 */
@Injectable()
export class KeyRotation {
  constructor(
    private readonly db: DataSource,
    private readonly ring: KeyRing,
    private readonly cipher: EnvelopeCipher,
    private readonly keyed: KeyedHash,
    private readonly keystore: Keystore,
    private readonly keys: KeyLoader,
    private readonly peers: PeerLink,
    private readonly audit: AuditTrail,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Rotates the master and audit-chain keys (and, with `callerKey`, the caller-recognition
   * key), re-wraps everything, and destroys what is due. If an earlier rotation was cut
   * short, finishes that one instead of starting another.
   */
  async rotate(options: RotationOptions = {}): Promise<RotationReport> {
    const report = await withSessionLock(this.db, ROTATION_LOCK, 'wait', () =>
      this.cycle(true, options),
    );
    return report!;
  }

  /**
   * The scheduled part: finishes a rotation cut short, starts one when the current master
   * key is older than KEY_ROTATION_DAYS, destroys what is due. Skips if another process is
   * at it.
   */
  async maintain(now = new Date()): Promise<RotationReport | undefined> {
    return withSessionLock(this.db, ROTATION_LOCK, 'try', async () =>
      this.cycle(this.config.KEY_ROTATION_DAYS > 0 && (await this.rotationDue(now)), {}, now),
    );
  }

  /** Starts a rotation if asked and none is left unfinished; then finishes what is pending. */
  private async cycle(
    start: boolean,
    options: RotationOptions,
    now = new Date(),
  ): Promise<RotationReport> {
    const report = emptyReport();
    if (start && !(await this.hasPendingWork())) {
      report.rotated = await this.newGenerations(options.callerKey === true);
      await this.keystoreChanged();
    }
    await this.finish(report, options, now);
    return report;
  }

  /** Every generation, with how many data keys each master key still wraps. */
  async status(): Promise<GenerationStatus[]> {
    const rows: Array<{
      kind: KeyKind;
      generation: number;
      key_id: Buffer;
      state: GenerationStatus['state'];
      created_at: Date;
      destroy_after: Date | null;
    }> = await this.db.query(
      `SELECT kind, generation, key_id, state, created_at, destroy_after FROM key_generations ORDER BY kind, generation`,
    );
    const counts = await this.dataKeysByMaster();
    const status: GenerationStatus[] = rows.map((r) => ({
      kind: r.kind,
      generation: r.generation,
      state: r.state,
      createdAt: r.created_at,
      destroyAfter: r.destroy_after,
      ...(r.kind === 'master' ? { dataKeys: counts.get(r.key_id.toString('hex')) ?? 0 } : {}),
    }));
    // Generation 0 has no row until a rotation retires it (file custody, before any).
    for (const kind of KEY_KINDS) {
      if (status.some((s) => s.kind === kind)) continue;
      const zero = this.ring.byNumber(kind, 0);
      status.push({
        kind,
        generation: 0,
        state: 'active',
        createdAt: new Date(0),
        destroyAfter: null,
        ...(kind === 'master' && zero
          ? { dataKeys: counts.get(zero.id.toString('hex')) ?? 0 }
          : {}),
      });
    }
    return status;
  }

  /** Every table with a `dek_wrapped` column, found in the catalog, so none is ever missed. */
  async dataKeyTables(manager: EntityManager = this.db.manager): Promise<DataKeyTable[]> {
    const rows: Array<{ table: string; key: string; key_type: string; keys: number }> =
      await manager.query(
        `SELECT c.relname AS table, a.attname AS key, format_type(a.atttypid, a.atttypmod) AS key_type,
                array_length(i.indkey::int2[], 1) AS keys
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
           JOIN pg_attribute d ON d.attrelid = c.oid AND d.attname = 'dek_wrapped' AND NOT d.attisdropped
           JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
          WHERE c.relkind = 'r'
          ORDER BY c.relname`,
      );
    for (const row of rows)
      if (row.keys !== 1)
        throw new Error(`${row.table}: a data key must be bound to a one-column primary key`);
    return rows.map((r) => ({ table: r.table, key: r.key, keyType: r.key_type }));
  }

  private async rotationDue(now: Date): Promise<boolean> {
    const current = this.ring.current('master').generation;
    const [row] = await this.db.query<Array<{ created_at: Date }>>(
      `SELECT created_at FROM key_generations WHERE kind = 'master' AND generation = $1`,
      [current],
    );
    // Generation 0 in file custody has no date: it rotates only by hand.
    if (!row) return false;
    return now.getTime() - row.created_at.getTime() >= this.config.KEY_ROTATION_DAYS * 86_400_000;
  }

  /** A retiring master or caller key that data still uses: a rotation to finish. */
  private async hasPendingWork(): Promise<boolean> {
    const held = this.ring.keys();
    if (held.caller.length > 1) return true;
    if (held.master.length === 1) return false;
    const current = this.ring.current('master').id.toString('hex');
    for (const [id, count] of await this.dataKeysByMaster())
      if (id !== current && count > 0) return true;
    return false;
  }

  /** New current generations, in one transaction with their audit entries. */
  private async newGenerations(
    callerKey: boolean,
  ): Promise<Array<{ kind: KeyKind; generation: number }>> {
    const kinds: KeyKind[] = callerKey ? ['master', 'audit', 'caller'] : ['master', 'audit'];
    const keystoreKey = this.ring.keys().keystoreKey;
    const created: Array<{ kind: KeyKind; generation: number }> = [];
    await this.db.transaction(async (em) => {
      for (const kind of kinds) {
        const old = this.ring.current(kind);
        const fresh = newGeneration(keystoreKey, kind, old.generation + 1);
        fresh.generation.key.fill(0);
        // The old key stays readable while it is retiring. A master key is destroyed once
        // backups made under it have expired; a caller key once no hash uses it (see finish);
        // an audit key never (the chain is verified from its start).
        await em.query(
          `INSERT INTO key_generations (kind, generation, key_id, wrapped, state, retired_at, destroy_after)
           VALUES ($1, $2, $3, NULL, 'retiring', now(), CASE WHEN $1 = 'master' THEN now() + make_interval(days => $4) END)
           ON CONFLICT (kind, generation) DO UPDATE
             SET state = 'retiring', retired_at = now(), destroy_after = EXCLUDED.destroy_after`,
          [kind, old.generation, old.id, this.config.BACKUP_RETENTION_DAYS],
        );
        await this.keystore.insert(em, {
          kind,
          generation: fresh.generation.generation,
          keyId: fresh.generation.id,
          wrapped: fresh.wrapped,
        });
        created.push({ kind, generation: fresh.generation.generation });
        if (kind === 'audit')
          await this.audit.record(
            {
              actorId: null,
              action: AUDIT_KEY_ROTATED,
              recordType: 'audit_key',
              recordId: String(fresh.generation.generation),
              outcome: 'success',
              reason: fresh.generation.id.toString('hex'),
            },
            em,
          );
      }
      await this.audit.record(
        {
          actorId: null,
          action: 'custody.keys.rotated',
          recordType: 'key_custody',
          outcome: 'success',
          reason: created.map((c) => `${c.kind}:${c.generation}`).join(','),
        },
        em,
      );
    });
    this.logger.info({ rotated: created }, 'keys rotated');
    return created;
  }

  private async keystoreChanged(): Promise<void> {
    await this.peers.announceKeystoreChanged();
    await this.keys.refresh();
  }

  /**
   * Re-wraps and re-hashes until nothing uses a retiring key, then destroys what is due.
   * A pass that finds nothing, begun after every process has surely loaded the current keys,
   * is the proof that no straggler is left.
   */
  private async finish(
    report: RotationReport,
    options: RotationOptions,
    now = new Date(),
  ): Promise<void> {
    const settledAt = Date.now() + (report.rotated.length > 0 ? SETTLE_MS : 0);
    for (;;) {
      const started = Date.now();
      const found = (await this.rewrapAll(report, options)) + (await this.rehashCallers(report));
      if (found === 0 && started >= settledAt) break;
      if (found === 0) await sleep(settledAt - started);
    }
    const total = Object.values(report.rewrapped).reduce((a, b) => a + b, 0);
    if (total > 0 || report.callers.rehashed + report.callers.forgotten > 0)
      await this.audit.record({
        actorId: null,
        action: 'custody.keys.rewrapped',
        recordType: 'key_custody',
        outcome: 'success',
        reason: `data_keys:${total},callers:${report.callers.rehashed},dropped:${report.callers.forgotten}`,
      });
    report.destroyed = await this.destroyDue(now);
    if (report.destroyed.length > 0) await this.keystoreChanged();
  }

  private async rewrapAll(report: RotationReport, options: RotationOptions): Promise<number> {
    let found = 0;
    for (const table of await this.dataKeyTables()) {
      let after: string | null = null;
      for (;;) {
        const current = this.ring.current('master').id;
        const rows: Array<{ id: string; dek_wrapped: Buffer }> = await this.db.query(
          `SELECT ${table.key}::text AS id, dek_wrapped FROM ${table.table}
            WHERE dek_wrapped IS NOT NULL AND substring(dek_wrapped from 2 for 4) <> $1
              AND ($2::text IS NULL OR ${table.key} > $2::${table.keyType})
            ORDER BY ${table.key} LIMIT $3`,
          [current, after, options.batchSize ?? BATCH],
        );
        if (rows.length === 0) break;
        after = rows[rows.length - 1].id;
        found += rows.length;
        const ids: string[] = [];
        const olds: Buffer[] = [];
        const news: Buffer[] = [];
        for (const row of rows) {
          try {
            const rewrapped = this.cipher.rewrapDataKey(table.table, row.id, row.dek_wrapped);
            if (!rewrapped) continue;
            ids.push(row.id);
            olds.push(row.dek_wrapped);
            news.push(rewrapped);
          } catch (error) {
            if (!(error instanceof DecryptionError)) throw error;
            // Under a key already destroyed, or damaged: nothing to save, and no reason to stop.
            this.logger.warn({ table: table.table }, 'rotation: a data key does not open');
          }
        }
        // Only where the key is still the one read: an erasure meanwhile (the key set to
        // NULL) must stay an erasure, never come back.
        const updated = affectedOf(
          await this.db.query(
            `UPDATE ${table.table} t SET dek_wrapped = v.new
               FROM unnest($1::${table.keyType}[], $2::bytea[], $3::bytea[]) AS v (id, old, new)
              WHERE t.${table.key} = v.id AND t.dek_wrapped = v.old`,
            [ids, olds, news],
          ),
        );
        report.rewrapped[table.table] = (report.rewrapped[table.table] ?? 0) + updated;
        options.onBatch?.({ table: table.table, rewrapped: report.rewrapped[table.table] });
      }
    }
    return found;
  }

  /** Redoes caller hashes under the current caller key; drops those that cannot be redone. */
  private async rehashCallers(report: RotationReport): Promise<number> {
    if (this.ring.keys().caller.length === 1) return 0;
    let found = 0;
    let after: string | null = null;
    for (;;) {
      const current = this.ring.current('caller').generation;
      const rows: Array<{
        id: string;
        identifier_hash: Buffer;
        hash_generation: number;
        dek_wrapped: Buffer | null;
        identifier_enc: Buffer | null;
      }> = await this.db.query(
        `SELECT id, identifier_hash, hash_generation, dek_wrapped, identifier_enc FROM callers
          WHERE identifier_hash IS NOT NULL AND hash_generation <> $1 AND ($2::uuid IS NULL OR id > $2::uuid)
          ORDER BY id LIMIT $3`,
        [current, after, BATCH],
      );
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      found += rows.length;
      for (const row of rows) {
        let hash: Buffer | null = null;
        if (row.identifier_enc && row.dek_wrapped) {
          try {
            const dek = this.cipher.unwrapDataKey('callers', row.id, row.dek_wrapped);
            const identifier = this.cipher.decrypt(
              dek,
              { table: 'callers', id: row.id, column: 'identifier' },
              row.identifier_enc,
            );
            dek.key.fill(0);
            hash = this.keyed.callerIdentifier(identifier);
          } catch (error) {
            if (!(error instanceof DecryptionError)) throw error;
          }
        }
        try {
          const updated = affectedOf(
            await this.db.query(
              `UPDATE callers SET identifier_hash = $2, hash_generation = $3
                WHERE id = $1 AND identifier_hash = $4 AND hash_generation = $5`,
              [row.id, hash, current, row.identifier_hash, row.hash_generation],
            ),
          );
          if (updated === 1) {
            if (hash) report.callers.rehashed += 1;
            else report.callers.forgotten += 1;
          }
        } catch (error) {
          // The new hash is taken: the same caller was seen meanwhile by a process that had
          // not loaded the new key yet. The older row can no longer be recognised.
          if ((error as { code?: string }).code !== '23505') throw error;
          await this.db.query(
            `UPDATE callers SET identifier_hash = NULL, hash_generation = $2 WHERE id = $1`,
            [row.id, current],
          );
          report.callers.forgotten += 1;
        }
      }
    }
    return found;
  }

  /** Destroys retiring keys that are due and that nothing uses any more. */
  private async destroyDue(now: Date): Promise<Array<{ kind: KeyKind; generation: number }>> {
    const callersPending = await this.db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM callers WHERE identifier_hash IS NOT NULL AND hash_generation <> $1`,
      [this.ring.current('caller').generation],
    );
    const inUse = await this.dataKeysByMaster();
    const rows: Array<{ kind: KeyKind; generation: number; key_id: Buffer }> = await this.db.query(
      `SELECT kind, generation, key_id FROM key_generations
        WHERE state = 'retiring'
          AND ((kind = 'master' AND destroy_after <= $1) OR (kind = 'caller' AND $2::int = 0))`,
      [now, callersPending[0].n],
    );
    const destroyed: Array<{ kind: KeyKind; generation: number }> = [];
    for (const row of rows) {
      if (row.kind === 'master' && (inUse.get(row.key_id.toString('hex')) ?? 0) > 0) continue;
      await this.db.transaction(async (em) => {
        await em.query(
          `UPDATE key_generations SET state = 'destroyed', wrapped = NULL, destroyed_at = now()
            WHERE kind = $1 AND generation = $2`,
          [row.kind, row.generation],
        );
        await this.audit.record(
          {
            actorId: null,
            action: 'custody.key.destroyed',
            recordType: 'key_custody',
            outcome: 'success',
            reason: `${row.kind}:${row.generation}`,
          },
          em,
        );
      });
      destroyed.push({ kind: row.kind, generation: row.generation });
    }
    if (destroyed.length > 0) this.logger.info({ destroyed }, 'retired keys destroyed');
    return destroyed;
  }

  /** How many data keys each master key (by fingerprint, hex) wraps, over every table. */
  private async dataKeysByMaster(): Promise<Map<string, number>> {
    const tables = await this.dataKeyTables();
    const counts = new Map<string, number>();
    if (tables.length === 0) return counts;
    const rows: Array<{ id: Buffer; n: number }> = await this.db.query(
      `SELECT id, sum(n)::int AS n FROM (${tables
        .map(
          (t) =>
            `SELECT substring(dek_wrapped from 2 for 4) AS id, count(*) AS n FROM ${t.table} WHERE dek_wrapped IS NOT NULL GROUP BY 1`,
        )
        .join(' UNION ALL ')}) k GROUP BY id`,
    );
    for (const row of rows) counts.set(row.id.toString('hex'), row.n);
    return counts;
  }
}

function emptyReport(): RotationReport {
  return { rotated: [], rewrapped: {}, callers: { rehashed: 0, forgotten: 0 }, destroyed: [] };
}
