import { Writable } from 'node:stream';
import { createLogger, Logger } from '@mayak/platform';

/** A logger at the most verbose level whose every line is kept, for tests that read the logs. */
export function capturedLogger(name: string): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger(name, 'trace', sink), text: () => lines.join('') };
}
