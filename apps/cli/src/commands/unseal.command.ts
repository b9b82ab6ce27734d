import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadConfig } from '@mayak/platform';
import { UsageError } from '../cli-context';
import { Command } from './command';

interface UnsealAnswer {
  sealed?: boolean;
  progress?: number;
  threshold?: number;
  message?: string;
}

/**
 * `unseal`: key holders' shares, one a line on standard input, sent to a running API exactly
 * as the web UI's unseal screen sends them. Its peers then unseal themselves from it.
 */
export const unsealCommand: Command = {
  name: 'unseal',
  usage: 'unseal [--url http://127.0.0.1:3000]  (shares on standard input, one a line)',
  summary: 'send key holders’ shares to a running, sealed Mayak',
  async run(args) {
    const { values } = parseArgs({ args, options: { url: { type: 'string' } }, strict: true });
    const base = (values.url ?? loadConfig().publicUrl).replace(/\/$/, '');
    if (process.stdin.isTTY) process.stderr.write('Paste one share a line; Ctrl-D when done.\n');
    let answer: UnsealAnswer = {};
    for await (const line of createInterface({ input: process.stdin })) {
      const share = line.trim();
      if (!share) continue;
      const response = await fetch(`${base}/api/unseal`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ share }),
      }).catch(() => {
        throw new UsageError(`cannot reach Mayak at ${base} (set --url)`);
      });
      answer = (await response.json()) as UnsealAnswer;
      if (!response.ok) {
        process.stderr.write(`refused: ${answer.message ?? response.status}\n`);
        return 1;
      }
      if (!answer.sealed) break;
      process.stderr.write(`share accepted: ${answer.progress} of ${answer.threshold}\n`);
    }
    if (answer.sealed !== false) {
      process.stderr.write(
        `still sealed: ${answer.progress ?? 0} of ${answer.threshold ?? '?'} shares entered\n`,
      );
      return 1;
    }
    process.stdout.write('unsealed\n');
    return 0;
  },
};
