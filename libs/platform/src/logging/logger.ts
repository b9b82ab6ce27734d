import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/**
 * Structured logs carry ids, never personal data. As a second line of defence the logger
 * drops any field whose name suggests a secret or personal content, at the top of a line's
 * object and two levels into it (what pino's redact paths `name`, `*.name` and `*.*.name`
 * reached).
 */
export const REDACTED_FIELDS = [
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
    // Not pino's `redact`: its wildcard paths cloned and walked every field of every line
    // (35–60 µs a line; the access log writes one per request), where a look at the few keys
    // of a line finds nothing to drop.
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => withoutRedactedFields(bindings),
      log: (object) => withoutRedactedFields(object),
    },
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

const REDACTED = new Set(REDACTED_FIELDS);
const DROPPED = Symbol('dropped');
/** Objects at depths 0, 1 and 2 lose their redacted fields: `name`, `*.name`, `*.*.name`. */
const REDACT_DEPTH = 3;

/**
 * `value` without the fields named in REDACTED_FIELDS, at the top and two levels down (in
 * arrays too). The value itself is never changed: an object that loses a field is copied
 * (with its prototype and its other own properties, so that an error still logs as one), the
 * rest is shared; with nothing to drop, `value` is returned as it was.
 */
export function withoutRedactedFields<T>(value: T, depth = 0): T {
  if (depth >= REDACT_DEPTH || value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return value;
  const source = value as Record<string, unknown>;
  let changed: Map<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const child = source[key];
    const kept = REDACTED.has(key) ? DROPPED : withoutRedactedFields(child, depth + 1);
    if (kept !== child) (changed ??= new Map()).set(key, kept);
  }
  if (!changed) return value;
  const descriptors = Object.getOwnPropertyDescriptors(source) as Record<
    string,
    PropertyDescriptor
  >;
  for (const [key, kept] of changed)
    if (kept === DROPPED) delete descriptors[key];
    else descriptors[key] = { value: kept, enumerable: true, writable: true, configurable: true };
  if (Array.isArray(source)) return Object.defineProperties([], descriptors) as T;
  return Object.create(Object.getPrototypeOf(source) as object | null, descriptors) as T;
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
