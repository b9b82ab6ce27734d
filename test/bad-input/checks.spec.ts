import { CheckContext, problemsWith } from './checks';
import { BadRequest } from './generators';
import { OpenApiDocument, operationsOf } from './openapi';
import { WireResponse } from './wire';

/** The oracle of the bad-input test, checked on its own: each rule can fail. */

const doc: OpenApiDocument = {
  openapi: '3.0.0',
  paths: {
    '/api/things/{id}': {
      get: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: {
            description: '',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { id: { type: 'string', format: 'uuid' }, roles: { type: 'array' } },
                  required: ['id'],
                },
              },
            },
          },
          '4XX': {
            description: '',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      Error: {
        type: 'object',
        properties: {
          statusCode: { type: 'integer' },
          error: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
          message: { type: 'string' },
          fields: { type: 'object', additionalProperties: { type: 'array' } },
          errorId: { type: 'string' },
        },
        required: ['statusCode', 'error', 'message'],
      },
    },
  },
};
const operations = operationsOf(doc);
const ctx: CheckContext = { doc, docText: JSON.stringify(doc), operations };

const request = (values: string[], names: string[] = []): BadRequest => ({
  op: operations[0],
  method: 'GET',
  target: '/api/things/x',
  auth: { kind: 'none' },
  headers: {},
  tags: [],
  values,
  names,
});

const response = (
  status: number,
  body: unknown,
  contentType = 'application/json',
): WireResponse => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    status,
    headers: { 'content-type': contentType },
    body: Buffer.from(text),
    text,
  };
};

const error = (status: number, extra: Record<string, unknown> = {}) => ({
  statusCode: status,
  error: 'validation_failed',
  message: 'The request is not valid.',
  ...extra,
});

describe('the bad-input oracle', () => {
  it('accepts a documented error and a documented success', () => {
    expect(problemsWith(ctx, request(['x']), response(400, error(400)))).toEqual([]);
    const id = '0b6f4bd4-2f0d-4a53-9a4e-4f3c3d8f2b11';
    expect(problemsWith(ctx, request([]), response(200, { id, roles: [] }))).toEqual([]);
  });

  it('a 5xx is a failure, whatever its body', () => {
    expect(problemsWith(ctx, request([]), response(500, error(500)))).toContainEqual(
      expect.stringMatching(/^status 500/),
    );
  });

  it("an error in someone else's shape, or with a statusCode that is not the status, is a failure", () => {
    const fastify = {
      error: 'Bad Request',
      code: 'FST_ERR_BAD_URL',
      message: 'x',
      statusCode: 400,
    };
    expect(problemsWith(ctx, request([]), response(400, fastify))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/error\.error: does not match/),
        expect.stringMatching(/error\.code: not part of the documented error body/),
      ]),
    );
    expect(problemsWith(ctx, request([]), response(404, error(400)))).toContainEqual(
      expect.stringMatching(/statusCode is 400 but the status is 404/),
    );
    expect(problemsWith(ctx, request([]), response(400, '', 'text/plain'))).toContainEqual(
      expect.stringMatching(/is not JSON/),
    );
  });

  it('an HTML response that repeats part of the input is a failure', () => {
    const input = '<script>alert(1)</script>';
    expect(
      problemsWith(ctx, request([input]), response(404, `<p>${input}</p>`, 'text/html')),
    ).toContainEqual(expect.stringMatching(/HTML response contains the input/));
  });

  it('a stack trace, SQL or a file path in a body is a failure, unless the client sent it', () => {
    const leak = (message: string) =>
      problemsWith(ctx, request([]), response(400, error(400, { message })));
    expect(leak('Error: x\n    at Foo.bar (/srv/app/dist/main.js:1:2)')).toContainEqual(
      'the body contains a stack trace',
    );
    expect(leak('SELECT id FROM users WHERE id = $1')).toContainEqual('the body contains SQL');
    expect(leak('duplicate key value violates unique constraint')).toContainEqual(
      'the body contains SQL',
    );
    expect(leak('see /work/app/node_modules/x/index.js')).toContainEqual(
      'the body contains a file path',
    );
    const sql = "'; SELECT * FROM users; --";
    const named = response(
      400,
      error(400, { fields: { [sql]: [`property ${sql} should not exist`] } }),
    );
    expect(problemsWith(ctx, request([], [sql]), named)).toEqual([]);
  });

  it('an error that repeats a value is a failure; naming a field or a documented word is not', () => {
    const value = 'my phone is +7 999 123-45-67';
    expect(
      problemsWith(ctx, request([value]), response(400, error(400, { message: `bad: ${value}` }))),
    ).toContainEqual(expect.stringMatching(/repeats a value the client sent/));
    const fields = { fields: { 'caller.identifier': ['caller.identifier must be a string'] } };
    expect(
      problemsWith(
        ctx,
        request(['caller.identifier'], ['caller.identifier']),
        response(400, error(400, fields)),
      ),
    ).toEqual([]);
    expect(problemsWith(ctx, request(['validation_failed']), response(400, error(400)))).toEqual(
      [],
    );
    const documented = error(400, { message: 'Send application/json' });
    expect(problemsWith(ctx, request(['application/json']), response(400, documented))).toEqual([]);
  });

  it('a success that is undocumented, not JSON, or short of required properties is a failure', () => {
    expect(problemsWith(ctx, request([]), response(201, {}))).toContainEqual(
      expect.stringMatching(/answered 201, which it does not document/),
    );
    expect(problemsWith(ctx, request([]), response(200, 'ok', 'text/plain'))).toContainEqual(
      expect.stringMatching(/not one of the documented application\/json/),
    );
    expect(problemsWith(ctx, request([]), response(200, { roles: [] }))).toContainEqual(
      'response.id: required but missing',
    );
    expect(
      problemsWith(ctx, { ...request([]), method: 'DELETE' }, response(200, { id: 'x' })),
    ).toContainEqual(expect.stringMatching(/DELETE \/api\/things\/\{id\} is not documented/));
  });
});
