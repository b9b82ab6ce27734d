import {
  ArgumentMetadata,
  BadRequestException,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { fastAcceptor } from './fast-accept';

/** Field path → messages, e.g. { "consent.scopes": ["each value must be one of …"] }. */
export function fieldErrors(errors: ValidationError[], parent = ''): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) out[path] = Object.values(error.constraints);
    Object.assign(out, fieldErrors(error.children ?? [], path));
  }
  return out;
}

export class RequestValidationError extends BadRequestException {
  constructor(readonly fields: Record<string, string[]>) {
    super('The request is not valid.');
  }
}

/** Deeper than any request of ours needs, and far from where recursion would overflow. */
export const MAX_INPUT_DEPTH = 32;

const NOT_TEXT = 'must not contain NUL characters or unpaired surrogates';
const TOO_DEEP = `is nested more than ${MAX_INPUT_DEPTH} levels deep`;

/**
 * What no field may hold, found before class-transformer sees the input:
 * - nesting beyond MAX_INPUT_DEPTH: class-transformer recurses and overflows the stack at
 *   about a thousand levels, which was a 500;
 * - NUL characters: PostgreSQL text cannot store them, which was a 500;
 * - unpaired surrogates: they would be stored as U+FFFD, silently changing what was sent.
 * Iterative, so that it cannot overflow itself. Names fields, never values.
 */
export function unsafeInputFields(
  value: unknown,
  root: string,
): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  let found = false;
  // A field's path is spelt out only when the field is refused (most bodies have none).
  const stack: Field[] = [{ value, depth: 0 }];
  const refuse = (field: Field, why: string) => {
    const name = pathOf(field, root) || 'body';
    out[name] = [`${name} ${why}`];
    found = true;
  };
  while (stack.length) {
    const field = stack.pop()!;
    if (typeof field.value === 'string') {
      if (!isText(field.value)) refuse(field, NOT_TEXT);
    } else if (field.value && typeof field.value === 'object') {
      if (field.depth >= MAX_INPUT_DEPTH) {
        refuse(field, TOO_DEEP);
        continue;
      }
      for (const key of Object.keys(field.value)) {
        if (!isText(key)) refuse(field, `property names ${NOT_TEXT}`);
        else
          stack.push({
            value: (field.value as Record<string, unknown>)[key],
            parent: field,
            key,
            depth: field.depth + 1,
          });
      }
    }
  }
  return found ? out : undefined;
}

interface Field {
  value: unknown;
  parent?: Field;
  key?: string;
  depth: number;
}

/** `a.b.0.c`, under `root` (which may be empty); at most MAX_INPUT_DEPTH calls deep. */
function pathOf(field: Field, root: string): string {
  if (!field.parent) return root;
  const parent = pathOf(field.parent, root);
  return parent ? `${parent}.${field.key}` : field.key!;
}

// Without the u flag a regular expression sees UTF-16 code units, so it can find a lone half.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** NUL or any surrogate: what most text (no NUL, nothing beyond the BMP) lacks, found in one scan. */
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const MAYBE_NOT_TEXT = /[\u0000\ud800-\udfff]/;
const isText = (s: string) =>
  !MAYBE_NOT_TEXT.test(s) || (!s.includes('\u0000') && !UNPAIRED_SURROGATE.test(s));

/**
 * Strict input checking: unknown properties are refused rather than silently dropped, so a
 * misspelt field cannot lose data, and input no field can hold is refused before it is
 * transformed. Messages name fields, never echo values.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const fields = unsafeInputFields(value, metadata.data ?? '');
      if (fields) throw new RequestValidationError(fields);
    }
    // A body that plainly passes is built without the pipe's general machinery (fastAcceptor:
    // same rules, same instance); anything else, refused or not, goes through the pipe.
    if (metadata.type === 'body' && metadata.metatype) {
      const accepted = fastAcceptor(metadata.metatype)?.(value);
      if (accepted) return accepted;
    }
    return super.transform(value, metadata);
  }
}

/** The pipe's options (fastAcceptor assumes exactly these). */
export const VALIDATION_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  validationError: { target: false, value: false },
  exceptionFactory: (errors: ValidationError[]) => new RequestValidationError(fieldErrors(errors)),
};

export function validationPipe(): ValidationPipe {
  return new StrictValidationPipe(VALIDATION_OPTIONS);
}
