import { readdir, readFile } from 'node:fs/promises';
import { Pool } from 'pg';
import { procStat as stat } from './cpu';

interface Child {
  /** utime + stime, seconds. */
  own: number;
  /** What the process is, from its title: "backend bench_intake", "autovacuum worker", … */
  kind: string;
}

/**
 * The private PostgreSQL's processes by kind, and the CPU each kind used over a window: the
 * backends of each database, autovacuum workers, the WAL writer, the checkpointer, the I/O
 * workers. `intake.cpu_per_contact.postgres` charges all of PostgreSQL to intake; this says
 * which part of it was intake's sessions and which was housekeeping (and for which database),
 * so that two windows that differ can be told apart. Autovacuum workers are also sampled in
 * `pg_stat_activity` for what they were vacuuming or analysing.
 */
export class PgProcessMeter {
  private before = new Map<number, Child>();
  private childrenBefore = 0;
  private readonly autovacuum = new Map<string, number>();
  private samples = 0;
  private timer?: NodeJS.Timeout;
  private inFlight = false;

  constructor(
    private readonly postmaster: number,
    private readonly db: Pool,
    /** Database names shortened in the report: the bench's prefix is long and the same. */
    private readonly prefix: string,
  ) {}

  async start(intervalMs = 200): Promise<void> {
    this.childrenBefore = (await stat(this.postmaster))?.children ?? 0;
    this.before = await this.snapshot();
    this.timer = setInterval(() => {
      if (this.inFlight) return;
      this.inFlight = true;
      this.db
        .query<{ what: string }>(
          `SELECT coalesce(datname, '?') || ': ' || left(coalesce(query, ''), 80) AS what
             FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`,
        )
        .then(({ rows }) => {
          this.samples++;
          for (const { what } of rows) {
            const key = what.split(this.prefix).join('');
            this.autovacuum.set(key, (this.autovacuum.get(key) ?? 0) + 1);
          }
        })
        .catch(() => undefined)
        .finally(() => (this.inFlight = false));
    }, intervalMs);
  }

  /** "backend _intake 9.1 s, walwriter 0.4 s, …; autovacuum seen: …" */
  async stop(): Promise<string> {
    clearInterval(this.timer);
    const after = await this.snapshot();
    const byKind = new Map<string, number>();
    const add = (kind: string, s: number) => byKind.set(kind, (byKind.get(kind) ?? 0) + s);
    let exitedBefore = 0;
    for (const [pid, child] of after) add(child.kind, child.own - (this.before.get(pid)?.own ?? 0));
    for (const [pid, child] of this.before) if (!after.has(pid)) exitedBefore += child.own;
    const root = await stat(this.postmaster);
    // Children that exited in the window (autovacuum workers, short sessions): the
    // postmaster's cutime grew by their whole lives, of which what they had used before the
    // window was already seen.
    const exited = (root?.children ?? 0) - this.childrenBefore - exitedBefore;
    if (exited > 0.005) add('exited processes', exited);
    const parts = [...byKind]
      .filter(([, s]) => s >= 0.005)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, s]) => `${kind} ${s.toFixed(2)} s`);
    const seen = [...this.autovacuum]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([what, n]) => `${what} (${((n / Math.max(1, this.samples)) * 100).toFixed(0)}%)`);
    return `${parts.join(', ') || 'nothing'}${seen.length ? `; autovacuum seen in ${seen.join(', ')}` : '; no autovacuum worker seen'}`;
  }

  private async snapshot(): Promise<Map<number, Child>> {
    const children = new Map<number, Child>();
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const s = await stat(pid);
      if (s?.ppid !== this.postmaster) continue;
      const title = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      children.set(pid, {
        own: s.own,
        kind: kindOf(title.replace(/\0/g, ' ').trim(), this.prefix),
      });
    }
    return children;
  }
}

/** "postgres: postgres bench123_intake 127.0.0.1(5432) idle" → "backend _intake". */
function kindOf(title: string, prefix: string): string {
  const t = title.replace(/^postgres:\s*/, '');
  const backend = /^\S+ (\S+) \S+\(\d+\)/.exec(t);
  if (backend) return `backend ${backend[1].split(prefix).join('')}`;
  // "autovacuum worker", "walwriter", "checkpointer", "io worker 0", …
  return t.replace(/\s+\d+$/, '').replace(/\s+/g, ' ');
}
