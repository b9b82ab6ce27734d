import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PHYSICAL_QUEUE_NAMES, producerConnection, redisTarget } from '@mayak/platform';
import { distEntry } from '@mayak/testing';
import { Queue } from 'bullmq';

export type AppName = 'api' | 'worker';

/**
 * The API or a worker as its own process from dist/, the way `npm start` and production run
 * them, its output in a log file the failure messages quote.
 */
export class AppProcess {
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
  }

  static spawn(app: AppName, label: string, env: Record<string, string>, logDir: string) {
    const logFile = path.join(logDir, `${label}.log`);
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(process.execPath, [distEntry(app)], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', fd, fd],
      });
      return new AppProcess(label, child, logFile);
    } finally {
      closeSync(fd);
    }
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** The log's JSON lines with this message, in order (pino: `msg`, and `time` in ISO). */
  logged(msg: string): Array<Record<string, unknown> & { at: number }> {
    let text: string;
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.includes(msg))
      .flatMap((l) => {
        try {
          const line = JSON.parse(l) as Record<string, unknown>;
          return line.msg === msg ? [{ ...line, at: Date.parse(String(line.time)) }] : [];
        } catch {
          return [];
        }
      });
  }

  /** Lines of the log at level error or above (pino: 50 and 60). */
  errorLines(): string[] {
    try {
      return readFileSync(this.logFile, 'utf8')
        .split('\n')
        .filter((l) => /"level":(50|60)\b/.test(l));
    } catch {
      return [];
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM, SIGKILL after the timeout; resolves once it has exited. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.alive) return;
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    this.kill('SIGTERM');
    await this.exit;
    clearTimeout(timer);
  }
}

/** Polls until the check passes; fails at once, quoting the log, if the process died. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; process?: AppProcess },
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (options.process && !options.process.alive)
      throw new Error(
        `${options.process.name} exited while waiting for ${what}:\n${options.process.logTail()}`,
      );
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > options.timeoutMs)
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await sleep(options.intervalMs ?? 100);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startApi(
  label: string,
  env: Record<string, string>,
  logDir: string,
): Promise<AppProcess> {
  const api = AppProcess.spawn('api', label, env, logDir);
  await waitFor(
    `${label} to answer /api/health`,
    async () => (await fetch(`http://127.0.0.1:${env.PORT}/api/health`)).ok,
    { timeoutMs: 60_000, process: api },
  );
  return api;
}

/** Ready once every queue of the contract has one more worker connected than before. */
export async function startWorker(
  label: string,
  env: Record<string, string>,
  logDir: string,
): Promise<AppProcess> {
  const queues = PHYSICAL_QUEUE_NAMES.map(
    (name) =>
      new Queue(name, {
        // The scenario's Redis: its URL, or its Sentinels.
        connection: producerConnection(redisTarget(env)),
        prefix: env.QUEUE_PREFIX,
      }),
  );
  try {
    const before = await Promise.all(queues.map((q) => q.getWorkersCount()));
    const worker = AppProcess.spawn('worker', label, env, logDir);
    await waitFor(
      `${label} to connect to every queue`,
      async () => {
        const now = await Promise.all(queues.map((q) => q.getWorkersCount()));
        return now.every((n, i) => n > before[i]);
      },
      { timeoutMs: 60_000, process: worker },
    );
    return worker;
  } finally {
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
  }
}
