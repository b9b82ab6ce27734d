import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '@mayak/platform/embedded';
import type { TestEnvironment } from '../harness/test-environment';
import { HttpClient } from './http-client';

/**
 * The checkout's root: four folders up from this file under Jest, which runs the sources,
 * and five from its compiled copy in dist/libs/testing (the bench imports that one).
 */
const ROOT = path.resolve(
  __dirname,
  ...(__filename.endsWith('.js') ? ['..', '..', '..', '..', '..'] : ['..', '..', '..', '..']),
);

/** The compiled entry point of an app; `npm test` builds before it runs Jest. */
export function distEntry(app: 'api' | 'worker' | 'cli'): string {
  const entry = path.join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
  if (!existsSync(entry))
    throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does)`);
  return entry;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a compiled app to completion, optionally feeding it standard input. */
export function runApp(
  app: 'api' | 'worker' | 'cli',
  args: string[],
  env: Record<string, string>,
  stdin?: string,
  timeoutMs = 60_000,
): Promise<Finished> {
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
      reject(
        new Error(`${app} ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${stderr}`),
      );
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

/** Starts a compiled app in the background; the caller stops it. */
export function spawnApp(
  app: 'api' | 'worker' | 'cli',
  args: string[],
  env: Record<string, string>,
): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [distEntry(app), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return Object.assign(child, { output: () => output });
}

/** The compiled API as its own process on a free port, once it answers /api/health. */
export async function listeningApi(env: Pick<TestEnvironment, 'env'>): Promise<{
  api: ReturnType<typeof spawnApp>;
  http: HttpClient;
  port: number;
}> {
  const port = await freePort();
  const api = spawnApp('api', [], { ...env.env, PORT: String(port) });
  const http = new HttpClient(`http://127.0.0.1:${port}`);
  try {
    await eventually(
      'the api to listen',
      async () => (await http.get('/api/health')).status === 200,
      20_000,
      100,
    );
  } catch (error) {
    api.kill('SIGKILL');
    throw error;
  }
  return { api, http, port };
}

export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Thrown by a probe that knows waiting longer is pointless (the process died, say). */
export class GiveUp extends Error {}

/** Polls until the condition holds; fails with the description after the timeout. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined | false;
    try {
      value = await probe();
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      value = undefined;
    }
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
