import { Inject, Injectable } from '@nestjs/common';
import { DecryptionError, EnvelopeCipher, KeyRing, Logger, LOGGER } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { BucketCache } from './bucket-cache';
import { BucketCells, decodeCells, encodeCells, restrictCells, sumCells } from './bucket-cells';
import { CUBOIDS } from './cuboids';
import { daysBetween, Grain, nextMonth } from './periods';

/** A day's or a month's cells, by its first day (YYYY-MM-DD). */
export interface RollupBucket {
  bucket: string;
  cells: BucketCells;
}

interface SealedRow {
  id: string;
  bucket: string;
  version: string;
  dek_wrapped: Buffer | null;
  cells_enc: Buffer | null;
}

/**
 * Decrypted rows kept by each API process: about 15 bytes a cell, so some 30 MB at most; two
 * years of months of a busy helpline, or a year of its days, fit.
 */
const CACHED_CELLS = 2_000_000;

/**
 * The totals and the one-way cuboids: a few hundred cells a bucket, where a busy day's whole
 * row holds some ten thousand. Kept apart from the whole rows (in at most 300,000 cells, about
 * 5 MB: two years of days), so that a two-year series of totals never decrypts its 730 days
 * again because a finer question pushed the whole rows out.
 */
const SUMMARY_CUBOIDS: ReadonlySet<number> = new Set(
  CUBOIDS.flatMap((dimensions, id) => (dimensions.length <= 1 ? [id] : [])),
);
const SUMMARY_CELLS = 300_000;

const ROLLUPS = 'stats_rollups';
const RETIRED = 'stats_retired';
const rollupId = (grain: Grain, bucket: string) => `${grain}:${bucket}`;
const retiredId = (day: string) => `retired:${day}`;

/**
 * The statistics at rest, and the only code that touches them: `stats_rollups` (every
 * cuboid's cells of a day or a month) and `stats_retired` (the cells of a day's contacts that
 * retention deleted), each row one ciphertext under a data key of its own, bound to the table,
 * the row and the column. Nothing else about the counts is stored in the clear.
 */
@Injectable()
export class SealedRollups {
  private readonly cache = new BucketCache(CACHED_CELLS);
  /** The summary cuboids of rows read, by row (see SUMMARY_CUBOIDS). */
  private readonly summaries = new BucketCache(SUMMARY_CELLS);

  constructor(
    private readonly db: DataSource,
    private readonly cipher: EnvelopeCipher,
    private readonly ring: KeyRing,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // What the keys protected does not outlive them in this process.
    ring.onSeal(() => {
      this.cache.clear();
      this.summaries.clear();
    });
  }

  /**
   * The rollups of the buckets in [start, end), in order, for answering queries: a row is
   * decrypted once and then read from this process's memory for as long as its version stays
   * the same. One query either way; it returns the ciphertext only of rows not held. Given the
   * `cuboids` the caller will read, a row whose whole cells are gone from memory may still be
   * answered from its summary cuboids (then only those are in the bucket returned).
   */
  async read(
    grain: Grain,
    start: string,
    end: string,
    cuboids?: readonly number[],
    em: EntityManager = this.db.manager,
  ): Promise<RollupBucket[]> {
    // Whether the summaries answer: only the totals and one-way cuboids are asked for.
    const small = cuboids !== undefined && cuboids.every((id) => SUMMARY_CUBOIDS.has(id));
    // What this process holds for the range, taken now: a concurrent read may evict it.
    const held = new Map<string, { version: string; cells: BucketCells }>();
    for (const bucket of bucketsBetween(grain, start, end)) {
      const id = rollupId(grain, bucket);
      for (const cache of small ? [this.cache, this.summaries] : [this.cache]) {
        const version = cache.versionOf(id);
        if (version === undefined) continue;
        held.set(id, { version, cells: cache.get(id, version)! });
        break;
      }
    }
    const rows: SealedRow[] = await em.query(
      `SELECT id, bucket::text AS bucket, version::text AS version,
              CASE WHEN version = ANY($4::bigint[]) THEN NULL ELSE dek_wrapped END AS dek_wrapped,
              CASE WHEN version = ANY($4::bigint[]) THEN NULL ELSE cells_enc END AS cells_enc
         FROM ${ROLLUPS} WHERE grain = $1 AND bucket >= $2::date AND bucket < $3::date
        ORDER BY bucket`,
      [grain, start, end, [...held.values()].map((h) => h.version)],
    );
    const found = new Set(rows.map((r) => r.id));
    for (const id of held.keys())
      if (!found.has(id)) {
        this.cache.delete(id);
        this.summaries.delete(id);
      }
    return rows.map((row) => {
      if (!row.cells_enc) return { bucket: row.bucket, cells: held.get(row.id)!.cells };
      const cells = this.open(ROLLUPS, row);
      if (!this.ring.sealed) {
        this.cache.set(row.id, row.version, cells);
        this.summaries.set(row.id, row.version, restrictCells(cells, SUMMARY_CUBOIDS));
      }
      return { bucket: row.bucket, cells };
    });
  }

  /**
   * What the rows of both grains in [start, end) hold, named without opening them: a digest of
   * each row's id and version. Every write of a row takes a new version from the database's
   * sequence (and a removed row drops out), so the same digest means the same cells, in any
   * API process; read it in the snapshot of the reads it stands for.
   */
  async fingerprint(
    start: string,
    end: string,
    em: EntityManager = this.db.manager,
  ): Promise<string> {
    const [row]: Array<{ fingerprint: string }> = await em.query(
      `SELECT encode(sha256(convert_to(
                coalesce(string_agg(id || '@' || version, ' ' ORDER BY id), ''), 'UTF8')), 'base64')
                AS fingerprint
         FROM ${ROLLUPS} WHERE grain IN ('day', 'month') AND bucket >= $1::date AND bucket < $2::date`,
      [start, end],
    );
    return row.fingerprint;
  }

  /** Stored rollups of `grain` in [start, end), except the buckets named; for the builder. */
  async load(
    em: EntityManager,
    grain: Grain,
    start: string,
    end: string,
    except: readonly string[] = [],
  ): Promise<RollupBucket[]> {
    const rows: SealedRow[] = await em.query(
      `SELECT id, bucket::text AS bucket, version::text AS version, dek_wrapped, cells_enc
         FROM ${ROLLUPS}
        WHERE grain = $1 AND bucket >= $2::date AND bucket < $3::date AND NOT (bucket = ANY($4::date[]))
        ORDER BY bucket`,
      [grain, start, end, except],
    );
    return rows.map((row) => ({ bucket: row.bucket, cells: this.open(ROLLUPS, row) }));
  }

  /** The stored rollups of these buckets of `grain` (those that have one), by bucket; for the builder. */
  async loadBuckets(
    em: EntityManager,
    grain: Grain,
    buckets: readonly string[],
  ): Promise<Map<string, BucketCells>> {
    const rows: SealedRow[] = await em.query(
      `SELECT id, bucket::text AS bucket, version::text AS version, dek_wrapped, cells_enc
         FROM ${ROLLUPS} WHERE grain = $1 AND bucket = ANY($2::date[])`,
      [grain, buckets],
    );
    return new Map(rows.map((row) => [row.bucket, this.open(ROLLUPS, row)]));
  }

  /** Replaces a bucket's rollup (under a new data key), or removes it when it has no cells. */
  async write(em: EntityManager, grain: Grain, bucket: string, cells?: BucketCells): Promise<void> {
    const id = rollupId(grain, bucket);
    if (!cells || cells.size === 0) {
      await em.query(`DELETE FROM ${ROLLUPS} WHERE id = $1`, [id]);
      return;
    }
    const { wrapped, sealed } = this.seal(ROLLUPS, id, cells);
    await em.query(
      `INSERT INTO ${ROLLUPS} (id, grain, bucket, dek_wrapped, cells_enc) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE
         SET dek_wrapped = EXCLUDED.dek_wrapped, cells_enc = EXCLUDED.cells_enc,
             version = nextval('stats_rollup_version')`,
      [id, grain, bucket, wrapped, sealed],
    );
  }

  /** Removes every rollup of `grain` but those of the buckets named (after a full rebuild). */
  async keepOnly(em: EntityManager, grain: Grain, buckets: readonly string[]): Promise<void> {
    await em.query(`DELETE FROM ${ROLLUPS} WHERE grain = $1 AND NOT (bucket = ANY($2::date[]))`, [
      grain,
      buckets,
    ]);
  }

  /** The retired cells of these days (those that have any). */
  async loadRetired(em: EntityManager, days: readonly string[]): Promise<Map<string, BucketCells>> {
    const rows: SealedRow[] = await em.query(
      `SELECT id, day::text AS bucket, '' AS version, dek_wrapped, cells_enc
         FROM ${RETIRED} WHERE day = ANY($1::date[])`,
      [days],
    );
    const retired = new Map<string, BucketCells>();
    for (const row of rows) {
      const cells = this.openRetired(row);
      if (cells) retired.set(row.bucket, cells);
    }
    return retired;
  }

  /** Every day that has retired cells. */
  async retiredDays(em: EntityManager): Promise<string[]> {
    const rows: Array<{ day: string }> = await em.query(
      `SELECT day::text AS day FROM ${RETIRED} ORDER BY day`,
    );
    return rows.map((r) => r.day);
  }

  /**
   * Adds cells to a day's retired part, in the caller's transaction; concurrent additions to
   * the same day wait for each other (the row is locked, or its insert conflicts and retried).
   */
  async addRetired(em: EntityManager, day: string, cells: BucketCells): Promise<void> {
    if (cells.size === 0) return;
    const id = retiredId(day);
    for (;;) {
      const [row]: SealedRow[] = await em.query(
        `SELECT id, day::text AS bucket, '' AS version, dek_wrapped, cells_enc
           FROM ${RETIRED} WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (row) {
        const stored = this.openRetired(row);
        const { wrapped, sealed } = this.seal(
          RETIRED,
          id,
          stored ? sumCells([stored, cells]) : cells,
        );
        await em.query(`UPDATE ${RETIRED} SET dek_wrapped = $2, cells_enc = $3 WHERE id = $1`, [
          id,
          wrapped,
          sealed,
        ]);
        return;
      }
      const { wrapped, sealed } = this.seal(RETIRED, id, cells);
      const inserted: unknown[] = await em.query(
        `INSERT INTO ${RETIRED} (id, day, dek_wrapped, cells_enc) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [id, day, wrapped, sealed],
      );
      if (inserted.length > 0) return;
    }
  }

  private seal(table: string, id: string, cells: BucketCells): { wrapped: Buffer; sealed: Buffer } {
    const dek = this.cipher.newDataKey(table, id);
    try {
      const sealed = this.cipher.encrypt(
        dek,
        { table, id, column: 'cells_enc' },
        encodeCells(id, cells),
      );
      return { wrapped: dek.wrapped, sealed };
    } finally {
      dek.key.fill(0);
    }
  }

  /**
   * A day's retired cells, or undefined if they no longer open (a restore from a backup whose
   * master key has been destroyed since): nothing can bring them back, and they must not stop
   * every rebuild, so they count as none, and say so.
   */
  private openRetired(row: SealedRow): BucketCells | undefined {
    try {
      return this.open(RETIRED, row);
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      this.logger.warn({ day: row.bucket }, 'statistics: a retired part does not open; lost');
      return undefined;
    }
  }

  private open(table: string, row: SealedRow): BucketCells {
    const dek = this.cipher.unwrapDataKey(table, row.id, row.dek_wrapped!);
    try {
      return decodeCells(
        row.id,
        this.cipher.decrypt(dek, { table, id: row.id, column: 'cells_enc' }, row.cells_enc!),
      );
    } finally {
      dek.key.fill(0);
    }
  }
}

/** Every bucket of `grain` in [start, end): the days, or the months' first days. */
function bucketsBetween(grain: Grain, start: string, end: string): string[] {
  if (grain === 'day') return daysBetween(start, end);
  const months: string[] = [];
  for (let month = start; month < end; month = nextMonth(month)) months.push(month);
  return months;
}
