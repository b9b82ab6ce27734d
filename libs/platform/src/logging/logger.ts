import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/**
 * Structured logs carry ids, never personal data. As a second line of defence the logger
 * drops any field whose name suggests a secret or personal content, wherever it is nested.
 */
const REDACT = [
  'password',
  'totp',
  'token',
  'secret',
  'summary',
  'text',
  'identifier',
  'pseudonym',
  'authorization',
  'cookie',
  'reason',
];

export function createLogger(
  name: string,
  level = 'info',
  destination?: pino.DestinationStream,
): Logger {
  const stream = destination ?? stdoutInBlocks();
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { pid: process.pid, service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: REDACT.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers.${k}`]),
      remove: true,
    },
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      // A warning or an error is written at once, with the lines before it.
      logMethod(args, method, levelValue) {
        method.apply(this, args);
        if (levelValue >= WARN && !destination) (stream as SonicBoom).flush();
      },
    },
  };
  return pino(options, stream);
}

const WARN = 40;
/** The most a line waits in memory before it is written. */
const FLUSH_EVERY_MS = 100;

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * Standard output in blocks of a few kilobytes, written off the event loop, rather than one
 * write (a system call) per line: with every request logged at info, those writes were 5% of
 * the API's time. A line waits at most FLUSH_EVERY_MS, a warning or an error not at all, and
 * pino writes what is left when the process exits (a crash included); only a SIGKILL can
 * lose the last tenth of a second of info lines.
 */
function stdoutInBlocks(): SonicBoom {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4_096 });
  setInterval(() => stream.flush(), FLUSH_EVERY_MS).unref();
  return stream;
}

/** Adapts pino to Nest's LoggerService so framework messages share the same stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  /** Nest's own "log" level is start-up chatter (modules loaded, routes mapped): debug for us. */
  log(message: unknown, context?: string): void {
    this.logger.debug({ context }, stringify(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace: safeStack(trace) }, stringify(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, stringify(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, stringify(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, stringify(message));
  }
}

function stringify(message: unknown): string {
  return typeof message === 'string' ? message : message instanceof Error ? message.name : 'event';
}

/**
 * A stack trace without its first line: the message of a database error can quote the
 * values of the row that failed, the frames cannot.
 */
export function safeStack(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  return stack
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .join('\n');
}

/** What may be logged of an unknown error: its class, its code and where it came from. */
export function describeError(error: unknown): {
  errorName: string;
  errorCode?: string;
  stack?: string;
} {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      errorName: error.name,
      errorCode: typeof code === 'string' ? code : undefined,
      stack: safeStack(error.stack),
    };
  }
  return { errorName: typeof error };
}

export type { Logger } from 'pino';
