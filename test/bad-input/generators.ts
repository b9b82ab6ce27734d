import fc from 'fast-check';
import { OpenApiDocument, Operation, resolveRef, Schema } from './openapi';
import { WireRequest } from './wire';

export const ROLES_AND_ANONYMOUS = [
  'volunteer',
  'lawyer',
  'psychologist',
  'responder',
  'coordinator',
  'admin',
  'anonymous',
] as const;
export type Caller = (typeof ROLES_AND_ANONYMOUS)[number];

export interface FuzzContext {
  doc: OpenApiDocument;
  operations: Operation[];
  /** UUIDs of real records (never the role users', whose sessions the test needs). */
  realIds: string[];
  /** The same, by the table whose primary key they are. */
  idsByTable: Record<string, string[]>;
  /** Names of throwaway accounts, so sign-in style bodies reach real users (and lock them). */
  usernames: string[];
}

/** How the request authenticates; the live token is filled in when it is sent. */
export type Auth =
  | { kind: 'none' }
  | { kind: 'bearer' }
  | { kind: 'cookie' }
  /** The role's token, mangled: suffixed, lower-cased scheme, doubled, or next to junk. */
  | { kind: 'token-variant'; variant: 'suffix' | 'scheme-case' | 'twice' | 'cookie-and-junk' }
  | { kind: 'headers'; authorization?: string[]; cookie?: string[] };

/** One hostile request, symbolic where the session token goes. */
export interface BadRequest {
  op: Operation;
  method: string;
  /** Path and query as sent. */
  target: string;
  auth: Auth;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** What makes it hostile, for the report: "body:deep-nesting", "query:array", … */
  tags: string[];
  /** Strings the request carries (values), for the echo checks. */
  values: string[];
  /** Property and parameter names the request carries; an error may name these. */
  names: string[];
}

// ---------------------------------------------------------------------------------------------
// Strings

/** Well-known troublemakers: NUL, lone surrogates, bidi overrides, SQL, markup, paths, formats. */
const PAYLOADS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d',
  '\u202egnp.exe',
  '\u200b\u200d\ufeff',
  '\u2028\u2029',
  'Ω≈ç√∫˜µ≤≥÷',
  '𝕏𝕐ℤ',
  'ﷺ',
  'İıſK',
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  '1) OR pg_sleep(5) IS NULL --',
  '$1',
  '%s%s%n%x',
  '{{7*7}}',
  '${7*7}',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "javascript:alert('x')",
  '<!--',
  ']]>',
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  '\r\nSet-Cookie: evil=1',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e999',
  'true',
  '[]',
  '{}',
  '',
  ' ',
  '\t\n',
  '0',
  '-1',
  '9007199254740993',
  'admin',
  'ADMIN',
  '00000000-0000-0000-0000-000000000000',
];

// Any UTF-16 code unit, lone surrogates included, or any astral code point.
const codeUnit = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  },
);
const payload = fc.constantFrom(...PAYLOADS);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: payload },
  { weight: 2, arbitrary: fc.tuple(payload, payload).map(([a, b]) => `${a}${b}`) },
  { weight: 3, arbitrary: fc.string({ unit: codeUnit, maxLength: 16 }) },
);

/** Below, at, and beyond the 64 KiB body limit once encoded. */
const hugeLength = fc.constantFrom(1_000, 16_000, 60_000, 70_000, 100_000);
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(hugeLength, fc.constantFrom('A', '<script>', '\u0000', '𝕏', '"\\', "'; --"))
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));

// ---------------------------------------------------------------------------------------------
// JSON with parts that JSON.stringify cannot make (deep nesting, own __proto__ keys, 1e999)

export class RawJson {
  constructor(readonly text: string) {}
}

const SENTINEL = '\u0001raw-json-7f3a\u0001';

export function serialize(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) =>
    v instanceof RawJson ? `${SENTINEL}${raws.push(v.text) - 1}` : v,
  );
  return (text ?? '').replace(/"\\u0001raw-json-7f3a\\u0001(\d+)"/g, (_m, i: string) => raws[+i]);
}

export const deepJson: fc.Arbitrary<RawJson> = fc
  .tuple(
    fc.constantFrom(33, 100, 1_000, 3_000, 10_000),
    fc.constantFrom('array', 'object', 'mixed'),
  )
  .map(([depth, shape]) => {
    if (shape === 'array') return new RawJson('['.repeat(depth) + ']'.repeat(depth));
    if (shape === 'object') return new RawJson('{"a":'.repeat(depth) + 'null' + '}'.repeat(depth));
    const half = Math.ceil(depth / 2);
    return new RawJson('[{"a":'.repeat(half) + '1' + '}]'.repeat(half));
  });

export const prototypeJson: fc.Arbitrary<RawJson> = fc
  .constantFrom(
    '{"__proto__":{"isAdmin":true,"roles":["admin"]}}',
    '{"constructor":{"prototype":{"isAdmin":true}}}',
    '{"__proto__":null}',
    '[{"__proto__":{"polluted":1}}]',
    '{"a":{"__proto__":{"polluted":1}}}',
    '{"prototype":{"polluted":1},"toString":1,"valueOf":"x","hasOwnProperty":null}',
  )
  .map((t) => new RawJson(t));

const oddNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(-1, 0, -0, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, Number.MIN_VALUE),
  fc
    .constantFrom('1e999', '-1e999', '123456789012345678901234567890', '0.1e-400', '-0.0')
    .map((t) => new RawJson(t)),
  fc.double(),
);

const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  oddNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(hostileString, { maxLength: 4 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

const hugeArray: fc.Arbitrary<unknown> = fc
  .tuple(fc.constantFrom(1_000, 10_000, 40_000), fc.constantFrom<unknown>(0, 'a', null, {}, []))
  .map(([n, item]) => Array.from({ length: n }, () => item));

const hostileKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'isAdmin',
    'roles',
    'id',
    '$where',
    '$gt',
    'a.b',
    'a[b]',
    '',
  ),
  hostileString,
);

// ---------------------------------------------------------------------------------------------
// Valid-looking values from the documented schema

const MISSING = Symbol('missing');

function mergeAllOf(doc: OpenApiDocument, schema: Schema): Schema {
  const parts = (schema.allOf as Schema[]).map((s) => resolveRef(doc, s));
  return {
    type: 'object',
    properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
    required: parts.flatMap((p) => p.required ?? []),
  };
}

export function validValue(
  ctx: FuzzContext,
  schemaOrRef: Schema,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  let schema = resolveRef(ctx.doc, schemaOrRef);
  if (schema.allOf) schema = mergeAllOf(ctx.doc, schema);
  if (depth > 6) return fc.constant(null);
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  const options = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (options) return fc.oneof(...options.map((s) => validValue(ctx, s, name, depth + 1)));
  const type = (schema.type as string | undefined) ?? (schema.properties ? 'object' : 'string');
  switch (type) {
    case 'string':
      return validString(ctx, schema, name);
    case 'integer':
    case 'number':
      return fc.integer({
        min: Math.ceil((schema.minimum as number | undefined) ?? 0),
        max: Math.floor((schema.maximum as number | undefined) ?? 1_000),
      });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc
        .array(validValue(ctx, (schema.items as Schema) ?? {}, name, depth + 1), {
          minLength: (schema.minItems as number | undefined) ?? 0,
          maxLength: Math.max((schema.minItems as number | undefined) ?? 0, 3),
        })
        .map((items) => [...new Map(items.map((i) => [JSON.stringify(i), i])).values()]);
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = (schema.required ?? []) as string[];
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      // Optional properties mostly left out: each one is another chance to be refused.
      for (const [key, property] of Object.entries(properties))
        record[key] = required.includes(key)
          ? validValue(ctx, property, key, depth + 1)
          : fc.oneof(
              { weight: 2, arbitrary: fc.constant(MISSING) },
              { weight: 1, arbitrary: validValue(ctx, property, key, depth + 1) },
            );
      return fc
        .record(record)
        .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== MISSING)));
    }
    default:
      return fc.constant(null);
  }
}

export const EDGE_DATES = [
  '9999-12-31',
  '0000-01-01',
  '0001-01-01',
  '1969-12-31',
  '2026-02-29',
  '2026-02-30',
  '2099-12-31',
  '2100-01-01',
];

function validString(ctx: FuzzContext, schema: Schema, name: string): fc.Arbitrary<string> {
  const choices: fc.Arbitrary<string>[] = [];
  if (schema.format === 'uuid' || /(^id$|Id$)/.test(name)) {
    if (ctx.realIds.length) choices.push(fc.constantFrom(...ctx.realIds));
    choices.push(fc.uuid());
  } else if (schema.format === 'date-time' || schema.format === 'date') {
    // Mostly the recent past (what a record of a call needs), sometimes anywhere.
    const dates = fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 60_000, max: 30 * 86_400_000 }) },
      {
        weight: 1,
        arbitrary: fc.integer({ min: -10 * 365 * 86_400_000, max: 10 * 365 * 86_400_000 }),
      },
    );
    choices.push(
      dates.map((ago) =>
        new Date(Date.now() - ago).toISOString().slice(0, schema.format === 'date' ? 10 : 24),
      ),
    );
    // And the edges of the calendar, where date arithmetic overflows (the last day JavaScript
    // or PostgreSQL can hold, the day after it, a year 0, a day that does not exist).
    choices.push(
      fc
        .constantFrom(...EDGE_DATES)
        .map((d) => (schema.format === 'date' ? d : `${d}T00:00:00.000Z`)),
    );
  } else {
    if (/username|login/i.test(name) && ctx.usernames.length)
      choices.push(fc.constantFrom(...ctx.usernames));
    if (typeof schema.pattern === 'string')
      try {
        choices.push(fc.stringMatching(new RegExp(schema.pattern)));
      } catch {
        // A pattern JavaScript cannot compile: fall back to plain strings below.
      }
  }
  if (typeof schema.example === 'string') choices.push(fc.constant(schema.example));
  // Plain words: the hostile strings come from the breakers, not from here.
  if (!choices.length)
    choices.push(
      fc.string({
        unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
        minLength: (schema.minLength as number | undefined) ?? 3,
        maxLength: Math.min(Math.max((schema.minLength as number | undefined) ?? 3, 24), 256),
      }),
    );
  return fc.oneof(...choices);
}

// ---------------------------------------------------------------------------------------------
// Breaking one part of a valid value

type PathStep = string | number;

function containerPaths(value: unknown, path: PathStep[] = [], out: PathStep[][] = []) {
  if (value && typeof value === 'object') {
    out.push(path);
    for (const [key, child] of Object.entries(value))
      containerPaths(child, [...path, Array.isArray(value) ? Number(key) : key], out);
  }
  return out;
}

function leafPaths(value: unknown, path: PathStep[] = [], out: PathStep[][] = []) {
  if (path.length) out.push(path);
  if (value && typeof value === 'object')
    for (const [key, child] of Object.entries(value))
      leafPaths(child, [...path, Array.isArray(value) ? Number(key) : key], out);
  return out;
}

function setOwn(target: any, key: PathStep, value: unknown): void {
  if (value === MISSING) {
    if (Array.isArray(target)) target.splice(Number(key), 1);
    else delete target[key];
    return;
  }
  // defineProperty, so that "__proto__" becomes a key rather than a prototype change.
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function at(root: unknown, path: PathStep[]): any {
  return path.reduce<any>((node, step) => node[step], root);
}

const breaker: fc.Arbitrary<{ tag: string; value: unknown }> = fc.oneof(
  { weight: 4, arbitrary: hostileString.map((value) => ({ tag: 'hostile-string', value })) },
  { weight: 3, arbitrary: wrongType.map((value) => ({ tag: 'wrong-type', value })) },
  { weight: 1, arbitrary: hugeString.map((value) => ({ tag: 'huge-string', value })) },
  { weight: 1, arbitrary: hugeArray.map((value) => ({ tag: 'huge-array', value })) },
  { weight: 1, arbitrary: deepJson.map((value) => ({ tag: 'deep-nesting', value })) },
  { weight: 1, arbitrary: prototypeJson.map((value) => ({ tag: 'prototype-keys', value })) },
  { weight: 1, arbitrary: fc.constant({ tag: 'missing', value: MISSING as unknown }) },
);

/** A valid-looking value with exactly one part broken (or one hostile property added). */
function brokenValue(
  ctx: FuzzContext,
  schema: Schema,
): fc.Arbitrary<{ tag: string; value: unknown }> {
  return validValue(ctx, schema).chain((valid) => {
    const leaves = leafPaths(valid);
    const containers = containerPaths(valid);
    const replace = leaves.length
      ? fc.tuple(fc.constantFrom(...leaves), breaker).map(([path, broken]) => {
          const value = structuredClone(valid);
          setOwn(at(value, path.slice(0, -1)), path[path.length - 1], broken.value);
          return { tag: `${broken.tag}@${path.join('.')}`, value };
        })
      : breaker;
    const add = containers.length
      ? fc
          .tuple(fc.constantFrom(...containers), hostileKey, fc.oneof(hostileString, wrongType))
          .map(([path, key, extra]) => {
            const value = structuredClone(valid);
            const target = at(value, path);
            if (Array.isArray(target)) target.push(extra);
            else setOwn(target, key, extra);
            return { tag: `extra-property@${path.join('.') || 'root'}`, value };
          })
      : breaker;
    return fc.oneof({ weight: 3, arbitrary: replace }, { weight: 1, arbitrary: add });
  });
}

// ---------------------------------------------------------------------------------------------
// Bodies, content types, encodings

const MALFORMED_JSON = [
  '{',
  '{"a":}',
  "{'a':1}",
  '{"a":1,}',
  '[1,2',
  'NaN',
  '{"a":NaN}',
  '{"a":Infinity}',
  '// comment\n{}',
  '{"a":"\\u12"}',
  '{"a":"\\x41"}',
  '{"a":"unterminated',
  '{"a":1}{"b":2}',
  '{"a":1} trailing',
  '{"a":01}',
  '{"a":-}',
  '{"a":1,"a":{"b":2}}',
  '{"a":"\u0000 raw NUL"}',
  '\u0000',
  '',
  '   ',
  'null',
  '"just a string"',
  '<?xml version="1.0"?><a/>',
  'a=1&b=2',
  '--boundary\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--boundary--',
];

interface BodyChoice {
  tag: string;
  text?: string;
  bytes?: Buffer;
  value?: unknown;
}

function bodyArb(ctx: FuzzContext, op: Operation): fc.Arbitrary<BodyChoice | undefined> {
  const schema: Schema = op.body ?? { type: 'object', properties: {} };
  const choices: Array<fc.WeightedArbitrary<BodyChoice | undefined>> = [
    { weight: op.body ? 1 : 3, arbitrary: fc.constant(undefined) },
    {
      weight: op.body ? 8 : 2,
      arbitrary: brokenValue(ctx, schema).map(({ tag, value }) => ({
        tag: `body:${tag}`,
        value,
      })),
    },
    {
      weight: op.body ? 2 : 1,
      arbitrary: validValue(ctx, schema).map((value) => ({ tag: 'body:valid-looking', value })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(wrongType, hostileString, hugeArray)
        .map((value) => ({ tag: 'body:wrong-top-level-type', value })),
    },
    { weight: 1, arbitrary: deepJson.map((value) => ({ tag: 'body:deep-nesting', value })) },
    {
      weight: 1,
      arbitrary: fc.tuple(validValue(ctx, schema), prototypeJson).map(([valid, proto]) => {
        const text = serialize(valid);
        const inner = proto.text.startsWith('{') ? proto.text.slice(1, -1) : `"x":${proto.text}`;
        return {
          tag: 'body:prototype-keys',
          text: text.startsWith('{') && text !== '{}' ? `{${inner},${text.slice(1)}` : proto.text,
        };
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom(...MALFORMED_JSON),
          // A valid body cut short.
          fc
            .tuple(validValue(ctx, schema), fc.double({ min: 0, max: 1, noNaN: true }))
            .map(([v, cut]) => {
              const text = serialize(v);
              return text.slice(0, Math.floor(text.length * cut));
            }),
        )
        .map((text) => ({ tag: 'body:malformed-json', text })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          validValue(ctx, schema),
          fc.constantFrom(
            [0xff, 0xfe],
            [0xc0, 0xaf],
            [0xed, 0xa0, 0x80],
            [0xf4, 0x90, 0x80, 0x80],
            [0x80],
            [0x00],
          ),
        )
        .map(([v, bad]) => {
          // Invalid UTF-8 inside the first string value, or before the body.
          const text = serialize(v);
          const quote = text.indexOf('"', text.indexOf(':') + 1);
          const split = quote > 0 ? quote + 1 : 0;
          return {
            tag: 'body:invalid-utf8',
            bytes: Buffer.concat([
              Buffer.from(text.slice(0, split)),
              Buffer.from(bad),
              Buffer.from(text.slice(split)),
            ]),
          };
        }),
    },
  ];
  return fc.oneof(...choices);
}

const CONTENT_TYPES: Array<string | string[] | undefined> = [
  undefined,
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=boundary',
  'application/xml',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=iso-8859-1',
  'application/json; charset=nonsense',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/json, text/plain',
  ['application/json', 'text/plain'],
  ['application/json', 'application/json'],
  'application/vnd.mayak+json',
  'application/x-json',
  'json',
  '*/*',
  '',
];

const encodingArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant('utf8' as const) },
  { weight: 1, arbitrary: fc.constantFrom('utf16le' as const, 'latin1' as const, 'bom' as const) },
);

// ---------------------------------------------------------------------------------------------
// Paths, queries, headers

/** Percent-encodes the UTF-8 form (a lone surrogate becomes U+FFFD, as Node would send it). */
export function encodePart(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'));
  }
}

const RAW_PATH_ODDITIES = [
  '%ZZ',
  '%',
  '%00',
  '%E0%A4%A',
  '%ED%A0%80',
  '%C0%AF',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  'a%2Fb',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  'x'.repeat(101),
  'x'.repeat(5_000),
];

/**
 * Ids of the records a path parameter most likely names: those of the table called like the
 * path segment before it (/cases/{id} → cases) or like the parameter (userId → users).
 */
function likelyIds(ctx: FuzzContext, path: string, name: string): string[] {
  const segment = new RegExp(`/([^/{}]+)/\\{${name}\\}`).exec(path)?.[1];
  const tables = [segment, `${name.replace(/Id$/, '')}s`];
  return tables.flatMap((t) => (t && ctx.idsByTable[t]) || []);
}

function pathParam(
  ctx: FuzzContext,
  path: string,
  name: string,
): fc.Arbitrary<{ raw: string; value: string; tag: string }> {
  const encoded = (tag: string) => (value: string) => ({ raw: encodePart(value), value, tag });
  const likely = likelyIds(ctx, path, name);
  return fc.oneof(
    ...(likely.length
      ? [{ weight: 4, arbitrary: fc.constantFrom(...likely).map(encoded('real-id')) }]
      : []),
    ...(ctx.realIds.length
      ? [{ weight: 2, arbitrary: fc.constantFrom(...ctx.realIds).map(encoded('real-id')) }]
      : []),
    { weight: 3, arbitrary: fc.uuid().map(encoded('random-uuid')) },
    {
      weight: 1,
      arbitrary: fc
        .uuid()
        .chain((u) =>
          fc.constantFrom(u.toUpperCase(), `{${u}}`, `${u}x`, u.replace(/-/g, ''), ` ${u}`),
        )
        .map(encoded('uuid-lookalike')),
    },
    { weight: 3, arbitrary: hostileString.map(encoded('hostile')) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(...RAW_PATH_ODDITIES)
        .map((raw) => ({ raw, value: raw, tag: 'raw-oddity' })),
    },
  );
}

const queryKey = fc.oneof(
  fc.constantFrom('q', 'id', 'service', 'view', 'status', 'page', 'limit', 'format', 'sort'),
  hostileKey,
);
// Sizes past Node's 16 KiB header limit are kept rare: they never get beyond the parser.
const queryValue = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1_000, 8_000, 8_000, 20_000).map((n) => 'A'.repeat(n)),
  },
  { weight: 1, arbitrary: fc.uuid() },
);

interface QueryChoice {
  text: string;
  tags: string[];
  values: string[];
  names: string[];
}

const joinQuery = (parts: QueryChoice[]): QueryChoice => ({
  text: parts
    .map((p) => p.text)
    .filter(Boolean)
    .join('&'),
  tags: parts.flatMap((p) => p.tags),
  values: parts.flatMap((p) => p.values),
  names: parts.flatMap((p) => p.names),
});

/** The documented query parameters with valid-looking values (optional ones sometimes). */
function documentedQuery(ctx: FuzzContext, op: Operation): fc.Arbitrary<Array<[string, string]>> {
  const params = op.parameters.filter((p) => p.in === 'query');
  return fc
    .tuple(
      ...params.map((p) => {
        const value = validValue(ctx, p.schema, p.name).map((v) =>
          [v].flat().map((item): [string, string] => [p.name, String(item)]),
        );
        return p.required ? value : fc.option(value, { nil: [] });
      }),
    )
    .map((lists) => lists.flat());
}

const asQuery = (pairs: Array<[string, string]>, tag?: string): QueryChoice => ({
  text: pairs.map(([k, v]) => `${encodePart(k)}=${encodePart(v)}`).join('&'),
  tags: tag ? [tag] : [],
  values: pairs.map(([, v]) => v),
  names: pairs.map(([k]) => k),
});

function queryArb(ctx: FuzzContext, op: Operation): fc.Arbitrary<QueryChoice> {
  const documented = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  const key = documented.length ? fc.oneof(fc.constantFrom(...documented), queryKey) : queryKey;
  const pair: fc.Arbitrary<QueryChoice> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.tuple(key, queryValue).map(([k, v]) => asQuery([[k, v]], 'query:value')),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(key, fc.array(queryValue, { minLength: 2, maxLength: 4 }))
        .map(([k, vs]) =>
          asQuery(
            vs.map((v): [string, string] => [k, v]),
            'query:array',
          ),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(key, fc.constantFrom('[]', '[a]', '[a][b]', '[0]', '[__proto__]'), queryValue)
        .map(([k, bracket, v]) => ({
          ...asQuery([[k, v]], 'query:object'),
          text: `${encodePart(k)}${bracket}=${encodePart(v)}`,
        })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '__proto__[isAdmin]=true',
          'constructor[prototype][isAdmin]=true',
          '__proto__=x',
          '%ZZ=1',
          'a=%ZZ',
          'a=%E0%A4%A',
          'a=%00',
          '%00=a',
          '=',
          '&&&',
          'a',
          ';a=1',
          'a=1;b=2',
        )
        .map((text) => ({ text, tags: ['query:raw-oddity'], values: [], names: [] })),
    },
  );
  const valid = documentedQuery(ctx, op);
  const hostile = fc.array(pair, { minLength: 1, maxLength: 4 });
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((pairs) => asQuery(pairs)) },
    // One documented parameter broken or left out.
    {
      weight: documented.length ? 2 : 0,
      arbitrary: fc
        .tuple(valid, fc.nat(), fc.option(queryValue, { nil: undefined }))
        .map(([pairs, i, broken]) => {
          if (!pairs.length) return asQuery([]);
          const at = i % pairs.length;
          const kept = pairs.filter((_, j) => j !== at);
          if (broken === undefined) return asQuery(kept, `query:missing@${pairs[at][0]}`);
          return asQuery([...kept, [pairs[at][0], broken]], `query:broken@${pairs[at][0]}`);
        }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, hostile)
        .map(([pairs, extra]) => joinQuery([asQuery(pairs), ...extra])),
    },
  );
}

/** What an HTTP client may put in a header value: UTF-8 bytes as latin1, no control bytes. */
export function headerSafe(value: string): string {
  const bytes = [...Buffer.from(value, 'utf8')].filter((b) => b === 9 || (b >= 32 && b !== 127));
  return Buffer.from(bytes).toString('latin1');
}

const headerValue = fc.oneof(
  { weight: 6, arbitrary: hostileString.map(headerSafe) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(2_000, 9_000, 9_000, 20_000).map((n) => 'A'.repeat(n)),
  },
);

const idempotencyKey = fc.oneof(
  fc.uuid(),
  fc.constantFrom('', ' ', '\t', 'null', '../../etc/passwd', "'; DROP TABLE outbox; --"),
  headerValue,
  fc.tuple(fc.uuid(), fc.uuid()).map(([a, b]) => [a, b]),
);

const EXTRA_HEADER_NAMES = [
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'forwarded',
  'x-real-ip',
  'origin',
  'referer',
  'user-agent',
  'x-http-method-override',
  'x-original-url',
  'x-request-id',
  'content-encoding',
  'accept-encoding',
  'accept-language',
  'accept-charset',
  'if-none-match',
  'if-modified-since',
  'range',
  'x-csrf-token',
  'x-mayak-role',
];

interface HeaderChoice {
  headers: Record<string, string | string[]>;
  tags: string[];
}

const headersArb: fc.Arbitrary<HeaderChoice> = fc
  .record(
    {
      idempotency: idempotencyKey,
      accept: fc.constantFrom(
        'text/html',
        'application/xml',
        '*/*',
        'text/html;q=1, application/json;q=0',
        'text/csv',
        'text/event-stream',
        '',
        'application/json;;;q=x',
      ),
      extra: fc.array(fc.tuple(fc.constantFrom(...EXTRA_HEADER_NAMES), headerValue), {
        minLength: 1,
        maxLength: 3,
      }),
    },
    { requiredKeys: [] },
  )
  .map(({ idempotency, accept, extra }) => {
    const headers: Record<string, string | string[]> = {};
    const tags: string[] = [];
    if (idempotency !== undefined) {
      headers['idempotency-key'] = idempotency;
      tags.push('header:idempotency-key');
    }
    if (accept !== undefined) {
      headers.accept = accept;
      tags.push('header:accept');
    }
    for (const [name, value] of extra ?? []) {
      headers[name] = value;
      tags.push(`header:${name}`);
    }
    return { headers, tags };
  });

/** The operation's documented headers (Idempotency-Key, say): well-formed, hostile or absent. */
function documentedHeadersArb(op: Operation): fc.Arbitrary<HeaderChoice> {
  const names = op.parameters.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase());
  return fc
    .tuple(
      ...names.map((name) =>
        fc.oneof(
          { weight: 2, arbitrary: fc.constant(undefined) },
          { weight: 2, arbitrary: fc.uuid().map((v) => ({ name, value: v, tag: '' })) },
          {
            weight: 1,
            arbitrary: idempotencyKey.map((v) => ({ name, value: v, tag: `header:${name}` })),
          },
        ),
      ),
    )
    .map((chosen) => {
      const headers: Record<string, string | string[]> = {};
      const tags: string[] = [];
      for (const c of chosen)
        if (c) {
          headers[c.name] = c.value;
          if (c.tag) tags.push(c.tag);
        }
      return { headers, tags };
    });
}

const junkCookie = fc.oneof(
  hostileString.map((v) => `mayak_session=${headerSafe(v)}`),
  fc.constantFrom(
    'mayak_session=',
    'mayak_session',
    '=;;=;',
    'a=b; a=c; mayak_session=%ZZ',
    'mayak_session="quoted"',
    '__proto__=1; constructor=2',
  ),
  fc.constantFrom(100, 1_000).map((n) => Array.from({ length: n }, (_, i) => `c${i}=x`).join('; ')),
  fc.constantFrom(9_000, 9_000, 20_000).map((n) => `mayak_session=${'A'.repeat(n)}`),
);

function authArb(caller: Caller): fc.Arbitrary<Auth> {
  const hostile: fc.Arbitrary<Auth> = fc.oneof(
    fc
      .constantFrom(1_000, 8_000, 8_000, 17_000, 40_000)
      .map((n): Auth => ({ kind: 'headers', authorization: [`Bearer ${'A'.repeat(n)}`] })),
    hostileString.map((v): Auth => ({ kind: 'headers', authorization: [headerSafe(v)] })),
    hostileString.map((v): Auth => ({
      kind: 'headers',
      authorization: [`Bearer ${headerSafe(v)}`],
    })),
    fc
      .constantFrom(
        'Basic YWRtaW46YWRtaW4=',
        'Bearer',
        'Bearer ',
        'Bearer  ',
        'Token abc',
        'Bearer a b',
        // Well-formed (43 base64url characters) but no such session.
        'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      )
      .map((v): Auth => ({ kind: 'headers', authorization: [v] })),
    junkCookie.map((c): Auth => ({ kind: 'headers', cookie: [c] })),
  );
  if (caller === 'anonymous')
    return fc.oneof(
      { weight: 5, arbitrary: fc.constant<Auth>({ kind: 'none' }) },
      { weight: 3, arbitrary: hostile },
    );
  return fc.oneof(
    { weight: 7, arbitrary: fc.constant<Auth>({ kind: 'bearer' }) },
    { weight: 2, arbitrary: fc.constant<Auth>({ kind: 'cookie' }) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          'suffix' as const,
          'scheme-case' as const,
          'twice' as const,
          'cookie-and-junk' as const,
        )
        .map((variant): Auth => ({ kind: 'token-variant', variant })),
    },
    { weight: 2, arbitrary: hostile },
  );
}

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

// ---------------------------------------------------------------------------------------------
// The whole request

/**
 * The distinct strings a JSON value carries (keys separately), for the echo checks; a huge
 * array of one item repeated is looked at only so far.
 */
function stringsOf(value: unknown, values: string[], names: string[]): void {
  const stack: unknown[] = [value];
  const seen = new Set<string>();
  for (let visited = 0; stack.length && visited < 2_000; visited++) {
    const item = stack.pop();
    if (typeof item === 'string') {
      if (!seen.has(item)) values.push(item);
      seen.add(item);
    } else if (item instanceof RawJson) values.push(item.text);
    else if (Array.isArray(item)) stack.push(...item.slice(0, 2_000));
    else if (item && typeof item === 'object')
      for (const [k, v] of Object.entries(item)) {
        names.push(k);
        stack.push(v);
      }
  }
}

export function requestArb(
  ctx: FuzzContext,
  op: Operation,
  caller: Caller,
): fc.Arbitrary<BadRequest> {
  const pathNames = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  return fc
    .record({
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(op.method) },
        { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) },
      ),
      params: fc.tuple(...pathNames.map((name) => pathParam(ctx, op.path, name))),
      query: queryArb(ctx, op),
      auth: authArb(caller),
      headers: fc.oneof(
        { weight: 2, arbitrary: fc.constant<HeaderChoice>({ headers: {}, tags: [] }) },
        { weight: 1, arbitrary: headersArb },
      ),
      documentedHeaders: documentedHeadersArb(op),
      body: bodyArb(ctx, op),
      contentType: fc.oneof(
        { weight: 10, arbitrary: fc.constant<string | string[] | undefined>('application/json') },
        { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      encoding: encodingArb,
    })
    .map(
      ({
        method,
        params,
        query,
        auth,
        headers,
        documentedHeaders,
        body,
        contentType,
        encoding,
      }) => {
        const tags = [...query.tags, ...headers.tags];
        const values = [...query.values];
        const names = [...query.names, ...pathNames];
        let path = op.path;
        pathNames.forEach((name, i) => {
          path = path.replace(`{${name}}`, params[i].raw);
          tags.push(`path:${params[i].tag}`);
          values.push(params[i].value);
        });
        const all: Record<string, string | string[]> = {
          ...documentedHeaders.headers,
          ...headers.headers,
        };
        tags.push(...documentedHeaders.tags);
        for (const v of Object.values(all)) values.push(...[v].flat());
        let bytes: Buffer | undefined;
        if (body) {
          tags.push(body.tag);
          if (body.bytes) bytes = body.bytes;
          else {
            const text = body.text ?? serialize(body.value);
            if (body.value !== undefined) stringsOf(body.value, values, names);
            else values.push(text);
            bytes = encode(text, encoding);
            if (encoding !== 'utf8') tags.push(`body:encoding-${encoding}`);
          }
          if (contentType !== undefined) all['content-type'] = contentType;
          if (contentType !== 'application/json')
            tags.push(`header:content-type=${JSON.stringify(contentType ?? 'missing')}`);
        }
        if (auth.kind !== 'bearer' && auth.kind !== 'none') tags.push(`auth:${auth.kind}`);
        if (auth.kind === 'headers')
          values.push(...(auth.authorization ?? []), ...(auth.cookie ?? []));
        if (method !== op.method) tags.push('method:other');
        const request: BadRequest = {
          op,
          method,
          target: query.text ? `${path}?${query.text}` : path,
          auth,
          headers: all,
          body: bytes,
          tags,
          values,
          names,
        };
        return Object.assign(request, { [fc.toStringMethod]: () => describe(request) });
      },
    );
}

function encode(text: string, encoding: 'utf8' | 'utf16le' | 'latin1' | 'bom'): Buffer {
  if (encoding === 'bom')
    return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
  return Buffer.from(text, encoding);
}

const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);

export function describe(request: BadRequest): string {
  const headers = Object.entries(request.headers)
    .map(([k, v]) => `${k}: ${clip(JSON.stringify(v), 80)}`)
    .join('; ');
  const body = request.body ? clip(JSON.stringify(request.body.toString('utf8')), 800) : '(none)';
  return [
    `${request.method} ${clip(request.target, 240)}`,
    `  operation: ${request.op.key}`,
    `  auth: ${clip(JSON.stringify(request.auth), 200)}`,
    `  headers: ${headers || '(none)'}`,
    `  body (${request.body?.length ?? 0} bytes): ${body}`,
    `  hostile parts: ${request.tags.join(', ') || '(none)'}`,
  ].join('\n');
}

/** The request with the caller's live session token (if any) filled in. */
export function toWire(request: BadRequest, token: string | undefined): WireRequest {
  const headers: Record<string, string | string[]> = { ...request.headers };
  const auth = request.auth;
  switch (auth.kind) {
    case 'none':
      break;
    case 'bearer':
      if (token) headers.authorization = `Bearer ${token}`;
      break;
    case 'cookie':
      if (token) headers.cookie = `mayak_session=${token}`;
      break;
    case 'token-variant':
      if (!token) break;
      if (auth.variant === 'suffix') headers.authorization = `Bearer ${token}x`;
      if (auth.variant === 'scheme-case') headers.authorization = `bEaReR \t ${token}`;
      if (auth.variant === 'twice') headers.authorization = [`Bearer ${token}`, `Bearer ${token}`];
      if (auth.variant === 'cookie-and-junk')
        headers.cookie = `mayak_session=%ZZ; mayak_session=${token}; ;=; x="`;
      break;
    case 'headers':
      if (auth.authorization) headers.authorization = auth.authorization;
      if (auth.cookie) headers.cookie = auth.cookie;
      break;
  }
  return { method: request.method, target: request.target, headers, body: request.body };
}

/**
 * A plausible request (documented parameters, a body from the schema, the caller's session):
 * used before the hostile ones to create records whose ids the hostile ones can then name.
 */
export function validRequestArb(ctx: FuzzContext, op: Operation): fc.Arbitrary<BadRequest> {
  return fc
    .record({
      query: documentedQuery(ctx, op),
      body: op.body ? validValue(ctx, op.body) : fc.constant(undefined),
      idempotency: fc.uuid(),
    })
    .map(({ query, body, idempotency }) => {
      const headers: Record<string, string> = {};
      for (const p of op.parameters.filter((q) => q.in === 'header'))
        headers[p.name.toLowerCase()] = idempotency;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const values: string[] = [];
      const names: string[] = [];
      if (body !== undefined) stringsOf(body, values, names);
      const q = asQuery(query);
      const request: BadRequest = {
        op,
        method: op.method,
        target: q.text ? `${op.path}?${q.text}` : op.path,
        auth: { kind: 'bearer' },
        headers,
        body: body === undefined ? undefined : Buffer.from(serialize(body)),
        tags: ['valid-looking'],
        values: [...values, ...q.values],
        names: [...names, ...q.names],
      };
      return Object.assign(request, { [fc.toStringMethod]: () => describe(request) });
    });
}
