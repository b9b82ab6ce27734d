import { ChildProcess, spawn } from 'node:child_process';

interface Managed {
  name: string;
  entry: string;
  child?: ChildProcess;
  restarts: number[];
}

/**
 * Keeps the API and the worker running as separate processes, restarting one that dies
 * (with a little backoff; too many deaths in a minute and it gives up), and on shutdown
 * passes SIGTERM on and waits for both to finish their work.
 */
export class Supervisor {
  private readonly processes: Managed[] = [];
  private stopping = false;
  onGiveUp?: (name: string) => void;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  add(name: string, entry: string): void {
    const managed: Managed = { name, entry, restarts: [] };
    this.processes.push(managed);
    this.launch(managed);
  }

  private launch(managed: Managed): void {
    const child = spawn(process.execPath, [managed.entry], {
      env: this.env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    managed.child = child;
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      const now = Date.now();
      managed.restarts = managed.restarts.filter((t) => now - t < 60_000).concat(now);
      if (managed.restarts.length > 5) {
        process.stderr.write(
          `${managed.name} keeps failing (last exit ${code ?? signal}); giving up\n`,
        );
        this.onGiveUp?.(managed.name);
        return;
      }
      const delay = 500 * managed.restarts.length;
      process.stderr.write(
        `${managed.name} exited (${code ?? signal}); restarting in ${delay} ms\n`,
      );
      setTimeout(() => !this.stopping && this.launch(managed), delay);
    });
  }

  async stop(timeoutMs = 15_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.processes.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
