import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, REDACTED_FIELDS, withoutRedactedFields } from './logger';

/** Every line a logger writes, parsed. */
function sink(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** What the logger did before: pino's own redaction at the same depths. */
function pinoRedacting(stream: Writable) {
  return pino(
    {
      base: { service: 'test' },
      timestamp: false,
      redact: {
        paths: REDACTED_FIELDS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers.${k}`]),
        remove: true,
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

class TokenError extends Error {
  constructor(
    readonly token: string,
    readonly code: string,
  ) {
    super('refused');
    this.name = 'TokenError';
  }
}

const LINES: Array<Record<string, unknown>> = [
  { reqId: 'req-1', method: 'POST', route: '/api/contacts', status: 201, ms: 12 },
  { password: 'hunter2', userId: 'u1' },
  { req: { headers: { authorization: 'Bearer abc', cookie: 'mayak_session=x', host: 'h' } } },
  { job: { data: { summary: 'a call', caseId: 'c1' }, text: 'hello' }, identifier: '+7912' },
  { deep: { a: { b: { token: 'kept: too deep for either' } } } },
  { list: [{ pseudonym: 'Anna', id: 1 }, { id: 2 }], reason: 'r' },
  { err: new TokenError('t0k3n', 'E_TOKEN') },
  { nothing: null, when: new Date(0) },
];

describe('log redaction', () => {
  it('drops what pino’s redact paths dropped, and keeps the rest', () => {
    const before = sink();
    const after = sink();
    const reference = pinoRedacting(before.stream);
    const logger = createLogger('test', 'info', after.stream);
    for (const line of LINES) {
      reference.info(line, 'line');
      logger.info(line, 'line');
    }
    const strip = ({ time: _t, pid: _p, name: _n, ...rest }: Record<string, unknown>) => rest;
    expect(after.lines().map(strip)).toEqual(before.lines().map(strip));
    const text = JSON.stringify(after.lines());
    for (const secret of [
      'hunter2',
      'Bearer abc',
      'mayak_session',
      'a call',
      'Anna',
      '+7912',
      't0k3n',
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain('kept: too deep for either');
    expect(text).toContain('E_TOKEN');
  });

  it('never changes the object logged', () => {
    const line = { user: { password: 'p', id: 'u' }, reason: 'r', list: [{ token: 't' }] };
    const copy = structuredClone(line);
    const stripped = withoutRedactedFields(line);
    expect(line).toEqual(copy);
    expect(stripped).toEqual({ user: { id: 'u' }, list: [{}] });
  });

  it('logs a line holding bytes (pino’s redact threw on them)', () => {
    const out = sink();
    createLogger('test', 'info', out.stream).info({ bytes: Buffer.from('ab'), id: 1 }, 'line');
    expect(out.lines()[0]).toMatchObject({ id: 1, bytes: { type: 'Buffer', data: [97, 98] } });
  });

  it('returns a line with nothing to drop as it was', () => {
    const line = { reqId: 'r', status: 200, nested: { id: 1 } };
    expect(withoutRedactedFields(line)).toBe(line);
  });
});
