import { ChildProcess, spawn, spawnSync, StdioOptions } from 'node:child_process';
import { BackupError, BackupException } from './backup.exception';

/**
 * Backups are encrypted by Debian's `age` binary (age-encryption.org, X25519 recipients),
 * not by code of our own: its format is specified, audited, streams in authenticated 64 KiB
 * chunks (a cut-off or altered file fails to decrypt), and key holders can open a backup
 * with nothing but `age` and their identity file.
 */
export const AGE_BINARY = process.env.AGE_BINARY ?? 'age';

export const AGE_MISSING_MESSAGE =
  'age is not installed: run `sudo apt-get install -y age` (Debian/Ubuntu), or set AGE_BINARY to the age binary';

export function requireAge(): void {
  const probe = spawnSync(AGE_BINARY, ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0)
    throw new BackupException(BackupError.AgeMissing, AGE_MISSING_MESSAGE);
}

export interface AgeProcess {
  child: ChildProcess;
  /** Resolves when age exits 0; rejects with age's own one-line complaint otherwise. */
  finished: Promise<void>;
}

export function runAge(args: string[], stdio: StdioOptions): AgeProcess {
  const child = spawn(AGE_BINARY, args, { stdio });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  const finished = new Promise<void>((resolve, reject) => {
    child.once('error', () =>
      reject(new BackupException(BackupError.AgeMissing, AGE_MISSING_MESSAGE)),
    );
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      // age's messages name files and key types; what it quotes (the start of a file that is
      // not age's, which could be a plaintext dump) is left out.
      const complaint =
        stderr
          .split('\n')
          .map((line) =>
            line
              .replace(/^age: (error: )?/, '')
              .replace(/:?\s*"(?:[^"\\]|\\.)*"/g, '')
              .trim(),
          )
          .find((line) => line.length > 0) ?? `exit ${code ?? signal}`;
      reject(
        /no identity matched/.test(complaint)
          ? new BackupException(
              BackupError.WrongIdentity,
              'the identity does not open this backup: it was encrypted to other recipients',
            )
          : new BackupException(BackupError.AgeFailed, `age failed: ${complaint}`),
      );
    });
  });
  // Whoever awaits later gets the rejection; until then it must not count as unhandled.
  finished.catch(() => undefined);
  return { child, finished };
}
