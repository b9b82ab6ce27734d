import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { BenchServices } from './services';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memory: string;
  node: string;
  postgres: string;
  redis: string;
  /** Load average when the run began: on a shared machine, the noise floor. */
  loadavg: number[];
}

export async function describeMachine(services: BenchServices): Promise<Machine> {
  const postgres = await services.admin(async (client) => {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0].server_version;
  });
  const redis = services.redis();
  let redisDescription: string;
  try {
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const hz = await redisHz(services);
    redisDescription = `${version}${hz ? `, hz ${hz}` : ''}`;
  } finally {
    redis.disconnect();
  }
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    postgres: `${postgres}${services.embedded.postgres ? ' (private, embedded defaults)' : ' (configured)'}`,
    redis: `${redisDescription}${services.embedded.redis ? ' (private redis-server)' : ' (configured)'}`,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Redis's timer frequency, which bounds how late a delayed job can be woken; undefined when CONFIG is refused. */
export async function redisHz(services: BenchServices): Promise<number | undefined> {
  const redis = services.redis();
  try {
    const reply = (await redis.config('GET', 'hz')) as string[];
    return reply[1] ? Number(reply[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}
