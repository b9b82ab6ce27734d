import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  generateWebSchema,
  OPENAPI_JSON,
  openApiDocumentOffline,
  openApiJson,
  WEB_SCHEMA,
} from '../../apps/api/src/openapi-export';
import { operationsOf, type OpenApiDocument } from '../bad-input/openapi';

const ROOT = resolve(__dirname, '../..');

/**
 * Routes whose success is 204 No Content: an answer with no body has no schema to give. Each
 * is listed with the reason it has nothing to say, so that a new route cannot skip its
 * response schema by accident.
 */
const NO_BODY: Record<string, string> = {
  'DELETE /api/auth/passkeys/{id}': 'the passkey is gone; the list is read again',
  'POST /api/auth/logout': 'the session and its cookies are cleared',
  'POST /api/auth/reauthenticate': 'the session may now do sensitive things; nothing to return',
  'POST /api/auth/password': 'the password changed; other sessions ended',
  'PUT /api/auth/duress': 'set or removed; the duress password is never echoed',
  'POST /api/role-grants/{id}/confirm': 'decided; the list of grants is read again',
  'POST /api/role-grants/{id}/reject': 'decided; the list of grants is read again',
  'POST /api/withdrawals/{id}/confirm': 'decided; the queue is read again',
  'POST /api/withdrawals/{id}/reject': 'decided; the queue is read again',
  'DELETE /api/rota/shifts/{id}': 'removed; the rota is read again',
  'DELETE /api/rota/recurrences/{id}': 'removed; the rota is read again',
  'PUT /api/rota/recurrences/{id}/exceptions/{occursOn}': 'set; the rota is read again',
  'DELETE /api/rota/recurrences/{id}/exceptions/{occursOn}': 'cleared; the rota is read again',
  'DELETE /api/staff/me/webhook': 'removed; nothing is left to describe',
  'POST /api/referrals/{id}/retire': 'retired; the directory is searched again',
  'POST /api/referrals/{id}/reinstate': 'offered again; the directory is searched again',
};

describe("the web client's types, generated from the API's OpenAPI document", () => {
  let document: OpenApiDocument;
  beforeAll(async () => {
    document = (await openApiDocumentOffline()) as unknown as OpenApiDocument;
  });

  it(`${OPENAPI_JSON} is the document the controllers describe now (npm run api:types)`, () => {
    const committed = readFileSync(join(ROOT, OPENAPI_JSON), 'utf8');
    expect(committed).toBe(openApiJson(document as never));
  });

  it(`${WEB_SCHEMA} is what openapi-typescript makes of that document (npm run api:types)`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'mayak-api-types-'));
    try {
      const json = join(dir, 'openapi.json');
      const schema = join(dir, 'schema.d.ts');
      writeFileSync(json, openApiJson(document as never));
      generateWebSchema(json, schema, ROOT);
      expect(readFileSync(join(ROOT, WEB_SCHEMA), 'utf8')).toBe(readFileSync(schema, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every route documents a success, and every success but a 204 has a response schema', () => {
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(50);
    const problems: string[] = [];
    for (const op of operations) {
      const successes = Object.entries(op.responses).filter(([status]) => /^2/.test(status));
      if (successes.length === 0) problems.push(`${op.key}: no 2xx response`);
      for (const [status, response] of successes) {
        const content = (response as { content?: Record<string, { schema?: object }> }).content;
        const typed = Object.values(content ?? {}).some((media) => media.schema !== undefined);
        if (status === '204') {
          if (!(op.key in NO_BODY)) problems.push(`${op.key}: 204 not in the no-body list`);
          if (content) problems.push(`${op.key}: a 204 documents a body`);
        } else if (!typed) problems.push(`${op.key}: ${status} has no response schema`);
        else if (op.key in NO_BODY)
          problems.push(`${op.key}: listed as no-body but answers ${status}`);
      }
    }
    // Every entry of the list is a route that exists: a renamed route leaves no stale excuse.
    const keys = new Set(operations.map((op) => op.key));
    for (const key of Object.keys(NO_BODY))
      if (!keys.has(key)) problems.push(`${key}: no such route`);
    expect(problems).toEqual([]);
  });

  it('a JSON success is never a bare object: each names its properties or its items', () => {
    const bare: string[] = [];
    for (const op of operationsOf(document))
      for (const [status, response] of Object.entries(op.responses))
        if (/^2/.test(status)) {
          const schema = (response as { content?: Record<string, { schema?: any }> }).content?.[
            'application/json'
          ]?.schema;
          if (schema && schema.type === 'object' && !schema.properties && !schema.$ref)
            bare.push(`${op.key} ${status}`);
        }
    expect(bare).toEqual([]);
  });
});
