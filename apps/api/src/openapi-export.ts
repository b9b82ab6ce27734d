import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { OpenAPIObject } from '@nestjs/swagger';
import { createLogger, loadConfig } from '@mayak/platform';
import { ApiModule } from './api.module';
import { buildOpenApiDocument } from './http/openapi';

/** Where the document and the web client's types generated from it are committed. */
export const OPENAPI_JSON = 'apps/api/openapi.json';
export const WEB_SCHEMA = 'apps/web/src/api/schema.d.ts';

/**
 * The API's OpenAPI document without a server, a database or keys: Nest's preview mode reads
 * the modules and controllers but builds no provider, so nothing connects anywhere. It is the
 * document the running API serves at /api/docs (same modules, same builder).
 */
export async function openApiDocumentOffline(): Promise<OpenAPIObject> {
  const app = await NestFactory.create(
    ApiModule.forRoot(loadConfig({}), createLogger('api', 'silent')),
    new FastifyAdapter(),
    { preview: true, logger: false, abortOnError: false },
  );
  app.setGlobalPrefix('api', { exclude: [] });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/** The document as committed: two-space JSON and a final newline. */
export const openApiJson = (document: OpenAPIObject): string =>
  `${JSON.stringify(document, null, 2)}\n`;

/** The web client's types, as openapi-typescript writes them from the document at `jsonPath`. */
export function generateWebSchema(jsonPath: string, outPath: string, root = process.cwd()): void {
  execFileSync(
    process.execPath,
    [resolve(root, 'node_modules/openapi-typescript/bin/cli.js'), jsonPath, '-o', outPath],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** npm run api:types: writes the document and the web client's types. */
async function main(): Promise<void> {
  writeFileSync(OPENAPI_JSON, openApiJson(await openApiDocumentOffline()));
  generateWebSchema(OPENAPI_JSON, WEB_SCHEMA);
  console.log(`wrote ${OPENAPI_JSON} and ${WEB_SCHEMA}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('api:types failed:', error);
    process.exit(1);
  });
}
