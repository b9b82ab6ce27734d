import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { processCpuSeconds } from './cpu';

/** The checkout's root, from dist/bench/core. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');

export type AppName = 'api' | 'worker' | 'cli';

export function distEntry(app: AppName): string {
  const entry = path.join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
  if (!existsSync(entry))
    throw new Error(`${entry} is missing: \`npm run bench\` builds it; run it that way`);
  return entry;
}

export interface MemoryStatus {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since start (or since the last resetPeak), bytes. */
  peak: number;
}

/**
 * The API or the worker as its own process from dist/, the way `npm start` runs them, with
 * its output in a log file. Memory is read from /proc: VmHWM is the kernel's own record of
 * the peak, and can be reset at the start of a measured run.
 */
export class AppProcess {
  private polledPeak = 0;
  private poller?: NodeJS.Timeout;

  private constructor(
    readonly name: AppName,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {}

  static start(
    name: AppName,
    env: Record<string, string>,
    logFile: string,
    nodeArgs: string[] = [],
  ): AppProcess {
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(process.execPath, [...nodeArgs, distEntry(name)], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', fd, fd],
      });
      return new AppProcess(name, child, logFile);
    } finally {
      closeSync(fd);
    }
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of the log, for an error message when the process died. */
  logTail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** "37 jobs failed (QueryFailedError×37)": what the app's log says went wrong, for error messages. */
  problems(): string {
    let text: string;
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
    const failed = text.split('\n').filter((l) => l.includes('"msg":"job failed"'));
    if (failed.length === 0) return '';
    const names = new Map<string, number>();
    for (const line of failed) {
      const name = /"errorName":"([^"]+)"/.exec(line)?.[1] ?? 'unknown';
      names.set(name, (names.get(name) ?? 0) + 1);
    }
    const kinds = [...names].map(([n, c]) => `${n}×${c}`).join(', ');
    return `the ${this.name} logged ${failed.length} failed job attempts (${kinds}); see ${path.basename(this.logFile)} with --keep`;
  }

  async memory(): Promise<MemoryStatus> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
  }

  /** CPU time used so far (user + system), seconds. */
  cpuSeconds(): Promise<number> {
    return processCpuSeconds(this.pid);
  }

  /**
   * Starts a measured window: resets the kernel's peak (writing 5 to clear_refs) and polls
   * RSS as a cross-check. Resolves false when the kernel refused the reset, in which case
   * the peak includes start-up.
   */
  async beginPeakWindow(intervalMs = 100): Promise<boolean> {
    const reset = await writeFile(`/proc/${this.pid}/clear_refs`, '5')
      .then(() => true)
      .catch(() => false);
    this.polledPeak = 0;
    clearInterval(this.poller);
    this.poller = setInterval(() => {
      this.memory()
        .then((m) => (this.polledPeak = Math.max(this.polledPeak, m.rss)))
        .catch(() => undefined);
    }, intervalMs);
    return reset;
  }

  /** The peak RSS of the window (bytes): the larger of the kernel's peak and the polled one. */
  async endPeakWindow(): Promise<number> {
    clearInterval(this.poller);
    this.poller = undefined;
    const { rss, peak } = await this.memory();
    return Math.max(peak, this.polledPeak, rss);
  }

  /** SIGTERM (a graceful stop), SIGKILL after the timeout. */
  async stop(timeoutMs = 15_000): Promise<void> {
    clearInterval(this.poller);
    if (!this.alive) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }
}

/** Polls until the check passes; fails at once (with the log) if the process died. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; process?: AppProcess } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (options.process && !options.process.alive)
      throw new Error(
        `${options.process.name} exited while waiting for ${what}:\n${options.process.logTail()}`,
      );
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const problems = options.process?.problems();
      throw new Error(`timed out waiting for ${what}${problems ? `: ${problems}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}

/** Runs a compiled app to completion (the CLI), feeding it standard input. */
export function runToCompletion(
  app: AppName,
  args: string[],
  env: Record<string, string>,
  stdin = '',
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [distEntry(app), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${app} ${args[0] ?? ''} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}
