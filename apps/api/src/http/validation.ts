import {
  ArgumentMetadata,
  BadRequestException,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';

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
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value, path: root, depth: 0 },
  ];
  const name = (path: string) => path || 'body';
  while (stack.length) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      if (!isText(item.value)) out[name(item.path)] = [`${name(item.path)} ${NOT_TEXT}`];
    } else if (item.value && typeof item.value === 'object') {
      if (item.depth >= MAX_INPUT_DEPTH) {
        out[name(item.path)] = [`${name(item.path)} ${TOO_DEEP}`];
        continue;
      }
      for (const [key, child] of Object.entries(item.value)) {
        if (!isText(key)) out[name(item.path)] = [`${name(item.path)} property names ${NOT_TEXT}`];
        else
          stack.push({
            value: child,
            path: item.path ? `${item.path}.${key}` : key,
            depth: item.depth + 1,
          });
      }
    }
  }
  return Object.keys(out).length ? out : undefined;
}

// Without the u flag a regular expression sees UTF-16 code units, so it can find a lone half.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isText = (s: string) => !s.includes('\u0000') && !UNPAIRED_SURROGATE.test(s);

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
    return super.transform(value, metadata);
  }
}

export function validationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationError(fieldErrors(errors)),
  });
}
