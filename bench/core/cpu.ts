import { readdir, readFile } from 'node:fs/promises';
import type { BenchServices } from './services';
import type { RunningStack } from './stack';

/** USER_HZ: /proc reports CPU time in these ticks; 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime, seconds. */
  own: number;
  /** cutime + cstime: children that have exited and been waited for, seconds. */
  children: number;
}

async function procStat(pid: number): Promise<ProcStat | undefined> {
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
