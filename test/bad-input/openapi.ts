/**
 * Just enough of OpenAPI 3 to drive the bad-input test from the live document: the list of
 * operations, their parameters and bodies, and a checker for the subset of JSON Schema that
 * @nestjs/swagger emits.
 */

export type Schema = Record<string, any>;

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  /** e.g. "POST /api/admin/users/{id}/disable" */
  key: string;
  method: string;
  /** The path template, e.g. /api/admin/users/{id}/roles */
  path: string;
  parameters: Parameter[];
  /** The JSON request body schema, if the operation documents one. */
  body?: Schema;
  bodyRequired: boolean;
  responses: Record<string, any>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(
        (p: any): Parameter => {
          const param = resolveRef(doc, p);
          return {
            name: param.name,
            in: param.in,
            required: Boolean(param.required),
            schema: param.schema ?? { type: 'string' },
          };
        },
      );
      const content = op.requestBody?.content ?? {};
      const json = Object.entries(content).find(([type]) => type.includes('json'))?.[1] as
        { schema?: Schema } | undefined;
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters,
        body: json?.schema,
        bodyRequired: Boolean(op.requestBody?.required),
        responses: op.responses ?? {},
      });
    }
  }
  return operations;
}

export function resolveRef(doc: OpenApiDocument, schema: Schema): Schema {
  let current = schema;
  for (let hops = 0; current && typeof current.$ref === 'string'; hops++) {
    if (hops > 32) throw new Error(`$ref cycle at ${String(schema.$ref)}`);
    const ref = current.$ref as string;
    if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref} is not supported`);
    current = ref
      .slice(2)
      .split('/')
      .reduce<any>((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    if (!current) throw new Error(`dangling $ref ${ref}`);
  }
  return current;
}

/** The documented response for a status: exact code, then 4XX-style range, then default. */
export function documentedResponse(op: Operation, status: number): any {
  return (
    op.responses[String(status)] ??
    op.responses[`${String(status)[0]}XX`] ??
    op.responses[`${String(status)[0]}xx`] ??
    op.responses.default
  );
}

export function jsonSchemaOf(response: any): Schema | undefined {
  const content: Record<string, { schema?: Schema }> = response?.content ?? {};
  return Object.entries(content).find(([type]) => type.includes('json'))?.[1]?.schema;
}

const FORMATS: Record<string, RegExp> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
};

/**
 * Where a value breaks a schema, as "path: problem" lines (empty when it conforms). Covers
 * type, nullable, enum, required, properties, additionalProperties, items, allOf/anyOf/oneOf,
 * pattern, formats uuid/date-time/date and numeric bounds.
 */
export function schemaViolations(
  doc: OpenApiDocument,
  schemaOrRef: Schema,
  value: unknown,
  path = '$',
): string[] {
  const schema = resolveRef(doc, schemaOrRef);
  if (value === null) return schema.nullable || schema.type === 'null' ? [] : [`${path}: null`];
  if (schema.allOf)
    return (schema.allOf as Schema[]).flatMap((s) => schemaViolations(doc, s, value, path));
  for (const combinator of ['anyOf', 'oneOf'] as const) {
    const options = schema[combinator] as Schema[] | undefined;
    if (options && !options.some((s) => schemaViolations(doc, s, value, path).length === 0))
      return [`${path}: matches none of ${combinator}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    return [`${path}: ${JSON.stringify(value)} is not one of the documented values`];
  const type = schema.type as string | undefined;
  const problems: string[] = [];
  switch (type) {
    case undefined:
      break;
    case 'string':
      if (typeof value !== 'string') return [`${path}: expected a string`];
      if (schema.pattern && !new RegExp(schema.pattern as string, 'u').test(value))
        problems.push(`${path}: does not match ${String(schema.pattern)}`);
      if (schema.format && FORMATS[schema.format] && !FORMATS[schema.format].test(value))
        problems.push(`${path}: not a ${String(schema.format)}`);
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (type === 'integer' && !Number.isInteger(value)))
        return [`${path}: expected ${type}`];
      if (schema.minimum !== undefined && value < schema.minimum)
        problems.push(`${path}: below ${String(schema.minimum)}`);
      if (schema.maximum !== undefined && value > schema.maximum)
        problems.push(`${path}: above ${String(schema.maximum)}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return [`${path}: expected a boolean`];
      break;
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected an array`];
      if (schema.items)
        value.forEach((item, i) =>
          problems.push(...schemaViolations(doc, schema.items as Schema, item, `${path}[${i}]`)),
        );
      break;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`];
      const record = value as Record<string, unknown>;
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      for (const name of (schema.required ?? []) as string[])
        if (!(name in record)) problems.push(`${path}.${name}: required but missing`);
      for (const [name, item] of Object.entries(record)) {
        if (properties[name])
          problems.push(...schemaViolations(doc, properties[name], item, `${path}.${name}`));
        else if (schema.additionalProperties === false)
          problems.push(`${path}.${name}: not a documented property`);
        else if (typeof schema.additionalProperties === 'object')
          problems.push(
            ...schemaViolations(
              doc,
              schema.additionalProperties as Schema,
              item,
              `${path}.${name}`,
            ),
          );
      }
      break;
    }
    default:
      problems.push(`${path}: the document uses type ${type}, which this checker does not know`);
  }
  return problems;
}
