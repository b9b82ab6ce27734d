import {
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../config';
import { Logger } from '../logging';
import { LOGGER } from '../logging/logger.token';

/** How often a process that does not lead asks for the lock again. */
const CLAIM_EVERY_MS = 1_000;
/**
 * The server's keepalives on the lock's connection: a host that vanishes without closing its
 * socket (power lost, network cut) loses the lock after about 10 + 3 × 5 = 25 s, not the
 * operating system's default of two hours.
 */
const KEEPALIVE_OPTIONS =
  '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3';

/**
 * Which one process leads among any number of processes (on one host or several) that run the
 * same background rounds against one database: the one holding a session-level advisory lock
 * on a connection of its own. The others ask again every second. When the leader dies, or its
 * connection drops, PostgreSQL releases the lock at once and another process takes it within a
 * second (a vanished host: within the keepalives above).
 *
 * Leadership only paces work, it never guards it: the leader runs the frequent rounds and the
 * others rare ones, each round still safe beside any other (SKIP LOCKED, job ids, the chain's
 * lock). So a process that still believes it leads a moment after losing the lock does no
 * harm, and nothing waits for a leader that hangs with its connection open.
 */
export class Leadership {
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private leading = false;
  private claiming = false;
  private stopped = false;

  constructor(
    private readonly url: string,
    /** The lock's name, one per kind of process. */
    private readonly name: string,
    private readonly onChange: (leading: boolean) => void = () => undefined,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.claim();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.setLeading(false);
    // Closing the connection releases the lock.
    await client?.end().catch(() => undefined);
  }

  private async claim(): Promise<void> {
    if (this.stopped || this.leading || this.claiming) return;
    this.claiming = true;
    try {
      const client = this.client ?? (await this.connect());
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [this.name],
      );
      if (this.client === client && rows[0]?.locked) this.setLeading(true);
    } catch {
      this.drop(this.client);
    } finally {
      this.claiming = false;
    }
    if (!this.leading) this.claimLater();
  }

  /** One ask pending at a time, however the last one ended. */
  private claimLater(): void {
    clearTimeout(this.timer);
    if (!this.stopped) this.timer = setTimeout(() => void this.claim(), CLAIM_EVERY_MS).unref();
  }

  private async connect(): Promise<Client> {
    const client = new Client({
      connectionString: this.url,
      application_name: `mayak-lead-${process.title}`.slice(0, 63),
      // A connection that died without a word fails its next ask instead of hanging it.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 5_000,
      query_timeout: 5_000,
      options: KEEPALIVE_OPTIONS,
    });
    this.client = client;
    const lost = () => {
      if (this.client !== client) return;
      this.drop(client);
      this.claimLater();
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    return client;
  }

  private drop(client: Client | undefined): void {
    if (!client || this.client !== client) return;
    this.client = undefined;
    this.setLeading(false);
    client.end().catch(() => undefined);
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.onChange(leading);
  }
}

/**
 * The leader among the workers: it runs the outbox relay's fast poll and the audit chainer's
 * frequent rounds, and takes the case jobs while it keeps up, which every worker running
 * would only split into smaller batches, more transactions and more polling for the same rows
 * (OutboxRelay, AuditChainRunner, Standby). The others run the same rounds rarely, and take
 * case jobs once the leader falls behind, so nothing waits on the leader for long if it hangs.
 */
@Injectable()
export class WorkerLeadership implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly leadership: Leadership;
  private readonly listeners: Array<(leading: boolean) => void> = [];

  constructor(config: AppConfig, @Inject(LOGGER) logger: Logger) {
    this.leadership = new Leadership(
      config.DATABASE_URL ?? '',
      'mayak.worker-leader',
      (leading) => {
        logger.info(
          { leading },
          leading ? 'this worker leads the background rounds' : 'this worker no longer leads',
        );
        for (const listener of this.listeners) listener(leading);
      },
    );
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  /** Calls `listener` whenever this worker starts or stops leading. */
  onChange(listener: (leading: boolean) => void): void {
    this.listeners.push(listener);
  }

  onApplicationBootstrap(): void {
    this.leadership.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.leadership.stop();
  }
}

/** The workers' leadership, for the relay and the chainer: the worker only. */
@Global()
@Module({ providers: [WorkerLeadership], exports: [WorkerLeadership] })
export class WorkerLeadershipModule {}
