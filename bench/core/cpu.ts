import { readdir, readFile } from 'node:fs/promises';
import type { BenchServices } from './services';
import type { RunningStack } from './stack';

/** USER_HZ: /proc reports CPU time in these ticks; 100 on every Linux Node runs on. */
export const CLOCK_TICKS = 100;

export interface ProcStat {
  ppid: number;
  /** utime + stime, seconds. */
  own: number;
  /** cutime + cstime: children that have exited and been waited for, seconds. */
  children: number;
}

/** A process's parent and CPU times, from /proc/PID/stat; undefined once it is gone. */
export async function procStat(pid: number): Promise<ProcStat | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // The fields after the command name (which may hold spaces and parentheses).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(f[1]),
    own: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS,
    children: (Number(f[13]) + Number(f[14])) / CLOCK_TICKS,
  };
}

/** CPU time a process has used (user + system), seconds. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await procStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return stat.own;
}

/**
 * CPU time of a server and every process it forked, seconds: PostgreSQL's postmaster and
 * its backends (live ones read directly, finished ones through the postmaster's cutime).
 */
export async function processTreeCpuSeconds(rootPid: number): Promise<number> {
  const root = await procStat(rootPid);
  if (!root) throw new Error(`process ${rootPid} is gone`);
  let total = root.own + root.children;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await procStat(Number(entry));
    if (stat?.ppid === rootPid) total += stat.own + stat.children;
  }
  return total;
}

/** CPU used by several named sources over one window, in seconds each. */
export class CpuMeter {
  private before = new Map<string, number>();

  constructor(private readonly sources: Record<string, () => Promise<number>>) {}

  async start(): Promise<void> {
    for (const [name, read] of Object.entries(this.sources)) this.before.set(name, await read());
  }

  async stop(): Promise<Record<string, number>> {
    const used: Record<string, number> = {};
    for (const [name, read] of Object.entries(this.sources))
      used[name] = (await read()) - (this.before.get(name) ?? 0);
    return used;
  }
}

/**
 * The API, the workers and (when it is ours) PostgreSQL, to charge each answer its CPU: the
 * API with its cluster's API processes (its children), every worker process summed.
 */
export async function cpuMeter(services: BenchServices, stack: RunningStack): Promise<CpuMeter> {
  const sources: Record<string, () => Promise<number>> = {};
  const { api, workers } = stack;
  if (api) sources.api = () => processTreeCpuSeconds(api.pid);
  if (workers.length)
    sources.worker = async () =>
      (await Promise.all(workers.map((w) => w.cpuSeconds()))).reduce((a, b) => a + b, 0);
  const postgres = await services.postgresPid();
  if (postgres) sources.postgres = () => processTreeCpuSeconds(postgres);
  // Redis's own count (INFO cpu), when the server is ours alone: one thread does its work.
  if (services.embedded.redis) sources.redis = () => redisCpuSeconds(services);
  return new CpuMeter(sources);
}

/** CPU time Redis has used (user + system, every thread of it), seconds. */
async function redisCpuSeconds(services: BenchServices): Promise<number> {
  const redis = services.redis();
  try {
    const info = await redis.info('cpu');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
    return field('used_cpu_sys') + field('used_cpu_user');
  } finally {
    redis.disconnect();
  }
}

/** The whole machine's CPU time from /proc/stat (every core), seconds. */
async function machineCpu(): Promise<{ busy: number; steal: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0];
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return {
    busy: (f[0] + f[1] + f[2] + f[5] + f[6]) / CLOCK_TICKS,
    steal: (f[7] ?? 0) / CLOCK_TICKS,
  };
}

/**
 * What the rest of the machine did over a window, beside the processes a CpuMeter charges:
 * the bench's own process (its load generator) and everything else (other users of a shared
 * machine). CPU time per answer rises when the cores are shared, the work being the same, so
 * a window is only comparable to another run under the same competition.
 */
export class MachineMeter {
  private before?: { busy: number; steal: number; bench: number; at: number };

  async start(): Promise<void> {
    const m = await machineCpu();
    const u = process.cpuUsage();
    this.before = { ...m, bench: (u.user + u.system) / 1e6, at: performance.now() };
  }

  /** "machine busy 1.9 of 2 cores: bench 0.4, others 0.3 (steal 0.0)", given what was charged. */
  async stop(charged: Record<string, number>): Promise<string> {
    const b = this.before!;
    const m = await machineCpu();
    const u = process.cpuUsage();
    const seconds = (performance.now() - b.at) / 1000;
    const busy = m.busy - b.busy;
    const bench = (u.user + u.system) / 1e6 - b.bench;
    const ours = Object.values(charged).reduce((a, c) => a + c, 0);
    const cores = (s: number) => (s / seconds).toFixed(2);
    return `machine busy ${cores(busy)} of ${(await readdir('/sys/devices/system/cpu')).filter((d) => /^cpu\d+$/.test(d)).length} cores: these processes ${cores(ours)}, the bench's load generator ${cores(bench)}, everything else ${cores(Math.max(0, busy - ours - bench))} (steal ${cores(m.steal - b.steal)})`;
  }
}
