import { BadRequest } from './generators';
import {
  documentedResponse,
  jsonSchemaOf,
  OpenApiDocument,
  Operation,
  resolveRef,
  Schema,
  schemaViolations,
} from './openapi';
import { WireResponse } from './wire';

const STACK_FRAME = /\n\s+at\s|\bat\s+[\w$.<>[\] ]+\s\(?[^()\s]+:\d+:\d+\)?/;
const SQL = [
  /\b(?:select|insert|update|delete)\b[\s\S]{1,200}?\b(?:from|into|set|where)\b/i,
  /QueryFailedError|syntax error at or near|violates [\w ]*constraint|duplicate key value|invalid input syntax for|relation "[^"]+"|\bpg_\w+|typeorm/i,
];
const FILE_PATH =
  /(?:\/[\w.@-]+){2,}\.(?:ts|js|mjs|cjs|json)\b|node_modules|(?:^|[\s"'(])\/(?:work|home|root|usr|srv|app|opt|tmp)\/|[A-Za-z]:\\\\/;

export interface CheckContext {
  doc: OpenApiDocument;
  /** The whole document as text: a value that appears in it (an enum value, say) may be named. */
  docText: string;
  operations: Operation[];
}

/** The operation that answers this method on this path template, if the document has one. */
function operationFor(ctx: CheckContext, request: BadRequest): Operation | undefined {
  return ctx.operations.find((o) => o.path === request.op.path && o.method === request.method);
}

/**
 * Everything wrong with one response to one hostile request, as sentences (empty when it is
 * all right). The rules: never 5xx; errors in the documented error body with a statusCode that
 * matches; successes documented and in JSON; no echo of the input into HTML; no stack, SQL or
 * file path; error bodies never repeat a value the client sent.
 */
export function problemsWith(
  ctx: CheckContext,
  request: BadRequest,
  response: WireResponse,
): string[] {
  const problems: string[] = [];
  const { status } = response;
  const contentType = String(response.headers['content-type'] ?? '');
  const op = operationFor(ctx, request);
  const hasBody = request.method !== 'HEAD';

  if (status >= 500 || status < 100) problems.push(`status ${status}: the server failed`);

  problems.push(...htmlEchoProblems(request.values, response));

  let json: unknown;
  if (hasBody && response.body.length) {
    if (/json/i.test(contentType)) {
      try {
        json = JSON.parse(response.text);
      } catch {
        problems.push(`the body is labelled ${contentType} but is not JSON`);
      }
    }
    const scrubbed = scrub(json === undefined ? response.text : stringsIn(json), request);
    if (STACK_FRAME.test(scrubbed)) problems.push('the body contains a stack trace');
    if (SQL.some((rx) => rx.test(scrubbed))) problems.push('the body contains SQL');
    if (FILE_PATH.test(scrubbed)) problems.push('the body contains a file path');
  }

  if (status >= 400) {
    if (hasBody) problems.push(...documentedErrorProblems(ctx, op ?? request.op, response, json));
    if (json !== undefined) {
      // The code and the id are the server's own; the message and fields are where values leak.
      const { message, fields } = (json ?? {}) as { message?: unknown; fields?: unknown };
      const text = stringsIn({ message, fields });
      const echoed = echoCandidates(ctx, request).find((v) => text.includes(v));
      if (echoed !== undefined)
        problems.push(`the error body repeats a value the client sent: ${clip(echoed)}`);
    }
  } else if (status >= 200 && status < 400) {
    problems.push(...successProblems(ctx, request, op, response, json));
  }
  return problems;
}

/** An HTML response must not contain any fragment of what the client sent. */
export function htmlEchoProblems(values: string[], response: WireResponse): string[] {
  if (!/html/i.test(String(response.headers['content-type'] ?? ''))) return [];
  const echoed = fragmentsOf(values, 6).find((f) => response.text.includes(f));
  return echoed ? [`an HTML response contains the input fragment ${JSON.stringify(echoed)}`] : [];
}

function documentedErrorProblems(
  ctx: CheckContext,
  op: Operation,
  response: WireResponse,
  json: unknown,
): string[] {
  const { status } = response;
  const schema = jsonSchemaOf(documentedResponse(op, status));
  if (!schema) return [`${op.key} does not document an error body for ${status}`];
  if (json === undefined)
    return [
      `error ${status} is not JSON (content-type ${String(response.headers['content-type'])})`,
    ];
  return errorBodyProblems(ctx, schema, status, json);
}

/** The documented error body, with nothing else in it, and statusCode the HTTP status. */
export function errorBodyProblems(
  ctx: CheckContext,
  schema: Schema,
  status: number,
  json: unknown,
): string[] {
  const problems = schemaViolations(ctx.doc, schema, json, 'error');
  const known = Object.keys(resolveRef(ctx.doc, schema).properties ?? {});
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const record = json as Record<string, unknown>;
    for (const key of Object.keys(record))
      if (!known.includes(key))
        problems.push(`error.${key}: not part of the documented error body`);
    if (record.statusCode !== status)
      problems.push(`error.statusCode is ${String(record.statusCode)} but the status is ${status}`);
  }
  return problems;
}

function successProblems(
  ctx: CheckContext,
  request: BadRequest,
  op: Operation | undefined,
  response: WireResponse,
  json: unknown,
): string[] {
  const { status } = response;
  const contentType = String(response.headers['content-type'] ?? '');
  if (!op) {
    // Fastify answers HEAD for every GET route; anything else undocumented is a surprise.
    const get = ctx.operations.find((o) => o.path === request.op.path && o.method === 'GET');
    if (request.method === 'HEAD' && get && response.body.length === 0) return [];
    return [`${request.method} ${request.op.path} is not documented but answered ${status}`];
  }
  const documented = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`];
  if (!documented) return [`${op.key} answered ${status}, which it does not document`];
  if (status === 204 || request.method === 'HEAD')
    return response.body.length ? [`${status} with a body of ${response.body.length} bytes`] : [];
  const types = Object.keys(documented.content ?? {});
  const problems: string[] = [];
  if (types.length && !types.some((t) => contentType.startsWith(t)))
    problems.push(`content-type ${contentType} is not one of the documented ${types.join(', ')}`);
  if (!types.length && !/json/i.test(contentType))
    problems.push(`a ${status} answer is ${contentType || 'untyped'}, not JSON`);
  const schema = jsonSchemaOf(documented);
  if (schema && json !== undefined)
    problems.push(...schemaViolations(ctx.doc, schema, json, 'response'));
  if (/json/i.test(contentType) && json === undefined && !problems.length)
    problems.push('a success labelled JSON has an empty body');
  return problems;
}

/** All the strings inside a JSON value (keys too), joined, for searching. */
function stringsIn(json: unknown): string {
  const out: string[] = [];
  const stack: unknown[] = [json];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === 'string') out.push(item);
    else if (typeof item === 'number' || typeof item === 'boolean') out.push(String(item));
    else if (item && typeof item === 'object')
      for (const [k, v] of Object.entries(item)) {
        out.push(k);
        stack.push(v);
      }
  }
  return out.join('\n');
}

/** The response text without anything the client itself sent (SQL in a field name, say). */
function scrub(text: string, request: BadRequest): string {
  let out = text;
  for (const piece of [...request.names, ...request.values])
    if (piece.length >= 3 && piece.length <= 4_096) out = out.split(piece).join(' ');
  return out;
}

/**
 * Values an error must not repeat: long enough to be distinctive, not a field name or a word of
 * the document (an error may say "each role must be one of: volunteer, …").
 */
function echoCandidates(ctx: CheckContext, request: BadRequest): string[] {
  const names = request.names.join('\n');
  return fragmentsOf(request.values, 12).filter(
    (v) => !ctx.docText.includes(v) && !names.includes(v),
  );
}

/** The values themselves when short; a few windows of long ones. */
function fragmentsOf(values: string[], minLength: number): string[] {
  const out = new Set<string>();
  for (const value of values) {
    if (value.length < minLength) continue;
    if (value.length <= 64) out.add(value);
    else
      for (const at of [0, Math.floor(value.length / 2), value.length - 32])
        out.add(value.slice(at, at + 32));
  }
  return [...out];
}

const clip = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);
