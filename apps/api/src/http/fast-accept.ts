import type { MetadataStorage as TransformerMetadata } from 'class-transformer/types/MetadataStorage';
import { getMetadataStorage, ValidationArguments, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

// class-transformer's own metadata (its @Type, @Expose, …), which it does not export by name.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TransformerMetadata;
};

/**
 * A quick yes for well-formed request bodies, and nothing else.
 *
 * ValidationPipe builds a body's class with class-transformer and then runs class-validator's
 * executor over it, which for one intake body cost about 14% of the API's CPU under load
 * (metadata looked up and grouped again per object, an error object made per property, every
 * constraint looked up in a container). `fastAcceptor(C)` compiles C's own class-validator
 * and class-transformer metadata once into a function that builds the same instance and runs
 * the same constraint instances (`validate(value, args)`, so every rule means exactly what it
 * means to class-validator) straight through, and answers:
 *
 * - the instance, when every property is one C declares, every rule passes, and nothing met is
 *   outside the little it understands (null, objects inside arrays, numbers as dates, …);
 * - `undefined` otherwise: then ValidationPipe itself runs, and refuses the body with the
 *   messages it always gave, or accepts what this did not dare to.
 *
 * So it can only ever skip work for a body ValidationPipe would accept as it stands; it never
 * produces an error. A class with anything it does not model (groups, `always`, `@ValidateIf`,
 * `@IsDefined`, `@Allow`, promises, class-transformer's Expose/Exclude/Transform, discriminators)
 * gets no acceptor at all. Used only with the pipe's own options as `validationPipe()` sets
 * them: whitelist with forbidNonWhitelisted, forbidUnknownValues, transform, no groups.
 */
/** A class, as class-validator's and class-transformer's metadata name it. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Target = Function;

export type Acceptor = (value: unknown) => object | undefined;

const acceptors = new Map<Target, Acceptor | null>();

export function fastAcceptor(target: Target): Acceptor | undefined {
  let acceptor = acceptors.get(target);
  if (acceptor === undefined) {
    acceptor = compile(target, new Set()) ?? null;
    acceptors.set(target, acceptor);
  }
  return acceptor ?? undefined;
}

/** Says "not sure": the full pipe decides. */
const UNSURE = Symbol('unsure');

type Check = (object: object, value: unknown) => boolean;
type Build = (value: unknown) => unknown;

interface Property {
  name: string;
  /** The value as class-transformer would build it, or UNSURE. */
  build: Build;
  /** Optional: skip the rules when null or undefined (IsOptional). */
  conditions: Array<(object: object, value: unknown) => boolean>;
  rules: Check[];
  /** The property's class is validated as a nested object. */
  nested: boolean;
}

function compile(target: Target, compiling: Set<Target>): Acceptor | undefined {
  if (compiling.has(target)) return undefined; // recursive shapes: leave them to the pipe
  compiling.add(target);
  try {
    return compileClass(target, compiling);
  } finally {
    compiling.delete(target);
  }
}

function compileClass(target: Target, compiling: Set<Target>): Acceptor | undefined {
  const storage = getMetadataStorage();
  // The same arguments as class-validator's executor with no groups, strictGroups or always.
  const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined);
  if (metadatas.length === 0) return undefined;
  if (defaultMetadataStorage.getStrategy(target) !== 'none') return undefined;
  if (defaultMetadataStorage.findExcludeMetadata(target, undefined as unknown as string))
    return undefined;
  const byName = new Map<string, ValidationMetadata[]>();
  for (const m of metadatas) {
    if (m.always || m.groups?.length || m.validateIf) return undefined;
    byName.set(m.propertyName, [...(byName.get(m.propertyName) ?? []), m]);
  }
  const properties = new Map<string, Property>();
  for (const [name, list] of byName) {
    if (name in target.prototype) return undefined; // getters and methods: class-transformer skips them
    const property = compileProperty(target, name, list, compiling);
    if (!property) return undefined;
    properties.set(name, property);
  }
  const make = target as new () => object;
  return (value) => {
    if (!isPlainObject(value)) return undefined;
    const instance = new make();
    const keys = Object.keys(value);
    for (const key of keys) {
      const property = properties.get(key);
      if (!property) return undefined; // whitelist: the pipe names it
      const built = property.build(value[key]);
      if (built === UNSURE) return undefined;
      (instance as Record<string, unknown>)[key] = built;
    }
    for (const property of properties.values()) {
      const v = (instance as Record<string, unknown>)[property.name];
      if (!property.conditions.every((c) => c(instance, v) === true)) continue;
      // Nested objects were built (and so validated) by build; undefined is skipped by both.
      if (property.nested && v !== undefined && (v === null || typeof v !== 'object'))
        return undefined;
      for (const rule of property.rules) if (!rule(instance, v)) return undefined;
    }
    return instance;
  };
}

function compileProperty(
  target: Target,
  name: string,
  list: ValidationMetadata[],
  compiling: Set<Target>,
): Property | undefined {
  const storage = getMetadataStorage();
  const property: Property = {
    name,
    build: () => UNSURE,
    conditions: [],
    rules: [],
    nested: false,
  };
  for (const m of list) {
    switch (m.type) {
      case ValidationTypes.CONDITIONAL_VALIDATION: {
        const condition = m.constraints?.[0] as (object: object, value: unknown) => boolean;
        if (typeof condition !== 'function') return undefined;
        property.conditions.push(condition);
        break;
      }
      case ValidationTypes.NESTED_VALIDATION:
        if (m.each) return undefined;
        property.nested = true;
        break;
      case ValidationTypes.CUSTOM_VALIDATION: {
        const constraints = storage.getTargetValidatorConstraints(m.constraintCls);
        if (constraints.length === 0 || constraints.some((c) => c.async)) return undefined;
        for (const c of constraints) {
          const instance = c.instance as {
            validate(value: unknown, args: ValidationArguments): unknown;
          };
          const args = (object: object, value: unknown): ValidationArguments => ({
            targetName: target.name,
            property: m.propertyName,
            object,
            value,
            constraints: m.constraints,
          });
          property.rules.push(
            m.each
              ? (object, value) =>
                  Array.isArray(value)
                    ? value.every((item) => instance.validate(item, args(object, value)) === true)
                    : instance.validate(value, args(object, value)) === true
              : (object, value) => instance.validate(value, args(object, value)) === true,
          );
        }
        break;
      }
      default:
        return undefined; // IS_DEFINED, WHITELIST (@Allow), PROMISE_VALIDATION
    }
  }
  if (defaultMetadataStorage.findExcludeMetadata(target, name)) return undefined;
  if (defaultMetadataStorage.findExposeMetadata(target, name)) return undefined;
  for (const type of [1, 2, 0])
    if (defaultMetadataStorage.findTransformMetadatas(target, name, type).length) return undefined;
  const typeMetadata = defaultMetadataStorage.findTypeMetadata(target, name);
  if (!typeMetadata) {
    if (property.nested) return undefined; // a plain object nested: unknownValue in the pipe
    property.build = buildPrimitive;
    return property;
  }
  if (typeMetadata.options && Object.keys(typeMetadata.options).length) return undefined;
  const type = typeMetadata.typeFunction();
  if (type === Date) {
    if (property.nested) return undefined;
    property.build = (value) => (typeof value === 'string' ? new Date(value) : UNSURE);
    return property;
  }
  if (!property.nested || typeof type !== 'function') return undefined;
  const nested = compile(type, compiling);
  if (!nested) return undefined;
  property.build = (value) => {
    if (value === undefined) return UNSURE;
    return nested(value) ?? UNSURE;
  };
  return property;
}

/** Strings, numbers and booleans as they are; arrays of them copied, as class-transformer does. */
function buildPrimitive(value: unknown): unknown {
  const type = typeof value;
  if (type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value)))
    return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const t = typeof item;
      if (t !== 'string' && t !== 'boolean' && !(t === 'number' && Number.isFinite(item)))
        return UNSURE;
    }
    return value.slice();
  }
  return UNSURE;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}
