import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CustodyInitService } from '@mayak/custody';
import { UsageError, withCliContext } from '../cli-context';
import { Command } from './command';

/**
 * `custody init`: creates the root secret and hands out its shares, each printed once or
 * written encrypted to one holder's age public key. The database keeps only a check value.
 */
export const custodyCommand: Command = {
  name: 'custody',
  usage: 'custody init --holders N --threshold K [--json] [--age-recipients FILE --out-dir DIR]',
  summary:
    'create the root secret (sealed custody) and split it into N shares, any K of which unseal',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'init') throw new UsageError('the only custody subcommand is init');
    const { values } = parseArgs({
      args: rest,
      options: {
        holders: { type: 'string' },
        threshold: { type: 'string' },
        json: { type: 'boolean' },
        'age-recipients': { type: 'string' },
        'out-dir': { type: 'string' },
      },
      strict: true,
    });
    const holders = Number(values.holders);
    const threshold = Number(values.threshold);
    if (!Number.isInteger(holders) || !Number.isInteger(threshold))
      throw new UsageError('--holders and --threshold must be whole numbers');
    const recipients = values['age-recipients']
      ? await readRecipients(values['age-recipients'], holders)
      : undefined;
    const setup = await withCliContext(
      (app) => app.get(CustodyInitService).init(holders, threshold),
      { needsKeys: false },
    );
    if (recipients) {
      const dir = path.resolve(values['out-dir'] ?? '.');
      await fs.mkdir(dir, { recursive: true });
      const files: string[] = [];
      for (const [i, share] of setup.shares.entries()) {
        const file = path.join(dir, `mayak-share-${i + 1}.age`);
        await ageEncrypt(recipients[i], share, file);
        files.push(file);
      }
      process.stdout.write(
        values.json
          ? `${JSON.stringify({ files, threshold: setup.threshold })}\n`
          : `Wrote ${files.length} shares, each encrypted to one holder's age key:\n${files.map((f) => `  ${f}`).join('\n')}\nAny ${setup.threshold} of them unseal Mayak. Send each file to its holder, then delete it here.\n`,
      );
      return 0;
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify(setup)}\n`);
      return 0;
    }
    process.stdout.write(
      [
        `Root secret created and split into ${holders} shares; any ${threshold} of them unseal Mayak.`,
        'Each share is shown this once. Give one to each key holder; keep none together with another.',
        '',
        ...setup.shares.map((share, i) => `  holder ${i + 1}: ${share}`),
        '',
        'Unseal: paste shares on the web UI’s unseal screen, or `npm run cli -- unseal` (one per line on standard input).',
        '',
      ].join('\n'),
    );
    return 0;
  },
};

async function readRecipients(file: string, holders: number): Promise<string[]> {
  const lines = (await fs.readFile(file, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (lines.length !== holders)
    throw new UsageError(
      `--age-recipients must list ${holders} recipients, one a line (found ${lines.length})`,
    );
  const bad = lines.filter((l) => !/^age1[02-9ac-hj-np-z]{58}$/.test(l));
  if (bad.length > 0)
    throw new UsageError('--age-recipients holds a line that is not an age public key');
  return lines;
}

function ageEncrypt(recipient: string, share: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'age',
      ['--encrypt', '--armor', '--recipient', recipient, '--output', file],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new UsageError(
          error.code === 'ENOENT'
            ? 'age is not installed (Debian: apt-get install age)'
            : `age failed: ${error.message}`,
        ),
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new UsageError(`age failed: ${stderr.trim()}`)),
    );
    child.stdin.end(`${share}\n`);
  });
}
