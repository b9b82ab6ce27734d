import { Pool } from 'pg';

/**
 * Samples what the database's busy sessions are doing (pg_stat_activity) during a measured
 * window: "Lock:advisory" or "Lock:object" piling up means commits wait on one another,
 * "IO:WalSync" means they wait on the disk, "CPU" means they are running. Shown beside a
 * throughput figure, it says where the time goes.
 */
export class WaitSampler {
  private readonly counts = new Map<string, number>();
  private samples = 0;
  private timer?: NodeJS.Timeout;
  private inFlight = false;

  constructor(
    private readonly db: Pool,
    private readonly database: string,
  ) {}

  start(intervalMs = 50): void {
    this.timer = setInterval(() => {
      if (this.inFlight) return;
      this.inFlight = true;
      this.db
        .query<{ wait: string; n: string }>(
          `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait, count(*) AS n
             FROM pg_stat_activity
            WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()
              AND backend_type = 'client backend'
            GROUP BY 1`,
          [this.database],
        )
        .then(({ rows }) => {
          this.samples++;
          for (const { wait, n } of rows)
            this.counts.set(wait, (this.counts.get(wait) ?? 0) + Number(n));
        })
        .catch(() => undefined)
        .finally(() => (this.inFlight = false));
    }, intervalMs);
  }

  /** "Lock:advisory 31.2, IO:WalSync 2.1, CPU 1.0": average busy sessions per state, top five. */
  stop(): string {
    clearInterval(this.timer);
    if (this.samples === 0) return 'no samples';
    return (
      [...this.counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([wait, n]) => `${wait} ${(n / this.samples).toFixed(1)}`)
        .join(', ') || 'idle'
    );
  }
}
