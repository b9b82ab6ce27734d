import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  describeError,
  KeyedHash,
  KeyRing,
  Logger,
  LOGGER,
  WorkerLeadership,
} from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import {
  AUDIT_KEY_ROTATED,
  canonicalEntry,
  ChainedRow,
  GENESIS,
  generationAfter,
  rotationTarget,
} from './audit-chain';

const BATCH = 5_000;

/**
 * Links appended audit entries into the chain: each entry's link is an HMAC, under a key the
 * database never sees, of the previous link and the entry, kept in `audit_links` (the entry's
 * own row is never written again). Entries are linked in the order
 * they became visible (committed), in batches, under an advisory lock so that two chainers
 * never interleave. Appending itself takes no lock at all.
 */
@Injectable()
export class AuditChainer {
  constructor(
    private readonly db: DataSource,
    private readonly keyed: KeyedHash,
    private readonly ring: KeyRing,
  ) {}

  /**
   * Links everything committed and not yet linked; returns how many entries it linked. With
   * `ifIdle`, returns at once (having linked what it had) while another chainer holds the
   * lock: that one links what is committed, and the next round whatever commits after. Every
   * worker runs a chainer, and queueing behind a colleague would only hold a connection, then
   * link the few entries of the moment in a transaction of their own.
   */
  async chainPending(options: { ifIdle?: boolean } = {}): Promise<number> {
    let total = 0;
    for (;;) {
      const linked = await this.db.transaction(async (em) => {
        if (options.ifIdle) {
          const [{ locked }] = await em.query<Array<{ locked: boolean }>>(
            `SELECT pg_try_advisory_xact_lock(hashtext('mayak.audit-chain')) AS locked`,
          );
          if (!locked) return undefined;
        } else await em.query(`SELECT pg_advisory_xact_lock(hashtext('mayak.audit-chain'))`);
        const head: Array<{ chain_pos: string; hash: Buffer }> = await em.query(
          `SELECT chain_pos::text AS chain_pos, hash FROM audit_links ORDER BY audit_links.chain_pos DESC LIMIT 1`,
        );
        // The queue holds exactly the entries without a link (its triggers enqueue an entry in
        // the transaction that appends it and dequeue it in the one that links it), so what is
        // committed late is found however old its id. No row locks: only a chainer holding the
        // lock above links entries, and `audit_links.seq` is unique besides.
        const rows: Array<Omit<ChainedRow, 'chain_pos'>> = await em.query(
          `SELECT e.seq::text AS seq, e.at, e.at_enc, e.actor_id, e.action, e.record_type, e.record_id, e.outcome, e.reason, e.break_glass
             FROM audit_unlinked u JOIN audit_entries e ON e.seq = u.seq ORDER BY u.seq LIMIT $1`,
          [BATCH],
        );
        if (rows.length === 0) return 0;
        let previous = head[0]?.hash ?? GENESIS;
        let position = BigInt(head[0]?.chain_pos ?? 0);
        let generation = await this.headGeneration(em);
        const seqs: string[] = [];
        const positions: string[] = [];
        const prevs: Buffer[] = [];
        const hashes: Buffer[] = [];
        for (const row of rows) {
          // A rotation to a key the keystore has but this process has not loaded yet: stop
          // before it, and link the rest once the keystore is reloaded.
          const target = rotationTarget(row, generation);
          if (
            target !== undefined &&
            !this.ring.byNumber('audit', target) &&
            (await this.keystoreHas(em, target))
          ) {
            this.ring.requestRefresh();
            break;
          }
          position += 1n;
          const link = this.keyed.auditLink(
            previous,
            canonicalEntry({ ...row, chain_pos: String(position) }),
            generation,
          );
          seqs.push(row.seq);
          positions.push(String(position));
          prevs.push(previous);
          hashes.push(link);
          previous = link;
          generation = generationAfter(row, generation, this.fingerprintOf);
        }
        // The entries themselves are never written again: each link is a row of its own.
        await em.query(
          `INSERT INTO audit_links (seq, chain_pos, prev_hash, hash)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[])`,
          [seqs, positions, prevs, hashes],
        );
        return seqs.length;
      });
      if (linked === undefined) return total;
      total += linked;
      if (linked < BATCH) return total;
    }
  }

  private readonly fingerprintOf = (generation: number) =>
    this.ring.byNumber('audit', generation)?.id;

  private async keystoreHas(em: EntityManager, generation: number): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM key_generations WHERE kind = 'audit' AND generation = $1 AND state <> 'destroyed'`,
      [generation],
    );
    return rows.length > 0;
  }

  /** The audit key generation the chain's head was linked under, and the next link will be. */
  private async headGeneration(em: EntityManager): Promise<number> {
    const rotations: ChainedRow[] = await em.query(
      `SELECT e.seq::text AS seq, l.chain_pos::text AS chain_pos, e.at, e.at_enc, e.actor_id, e.action, e.record_type, e.record_id,
              e.outcome, e.reason, e.break_glass
         FROM audit_entries e JOIN audit_links l ON l.seq = e.seq WHERE e.action = $1 ORDER BY l.chain_pos`,
      [AUDIT_KEY_ROTATED],
    );
    let generation = 0;
    for (const row of rotations) generation = generationAfter(row, generation, this.fingerprintOf);
    return generation;
  }
}

/** How often the leading worker links the chain. */
const LEADER_EVERY_MS = 250;
/** The other workers link every this many of the leader's rounds: if it hangs, a colleague links. */
const FOLLOWER_ROUNDS = 8;

/**
 * Runs the chainer in the worker: four times a second in the leading worker (WorkerLeadership),
 * every two seconds in the others. Every worker chaining as often would only link the entries
 * of the moment in twice the transactions, each skipping or waiting on the chain's lock.
 */
@Injectable()
export class AuditChainRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private failing = false;
  private ticks = 0;

  constructor(
    private readonly chainer: AuditChainer,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly ring: KeyRing,
    private readonly leadership: WorkerLeadership,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.ticks += 1;
      if (!this.leadership.isLeader && this.ticks % FOLLOWER_ROUNDS !== 0) return;
      // Sealed, entries are still appended; they are linked once the chain key is back.
      if (this.running || this.ring.sealed) return;
      this.running = this.chainer
        .chainPending({ ifIdle: true })
        .then(() => (this.failing = false))
        .catch((error: unknown) => {
          if (!this.failing)
            this.logger.warn(
              describeError(error),
              'audit chainer cannot link entries yet; will retry',
            );
          this.failing = true;
        })
        .finally(() => (this.running = undefined));
    }, LEADER_EVERY_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
