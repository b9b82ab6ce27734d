import { AsyncResource } from 'node:async_hooks';
import { deprecate } from 'node:util';

const DEPRECATED = 'The asyncResource property on bound functions is deprecated';
const PATCHED = Symbol.for('mayak.asyncResourceBind');

/**
 * `AsyncResource.prototype.bind` without its per-call cost.
 *
 * Fastify binds a new AsyncResource for every request that carries a body
 * (ContentTypeParser.run). Node 20's `bind` wraps two fresh functions in `util.deprecate`
 * for the deprecated `asyncResource` accessor of the bound function (DEP0172), every call:
 * 20–40 µs each on this machine (a micro-benchmark: `new AsyncResource` alone takes under
 * 1 µs), some 3% of the API's CPU per intake under load. This is the same function (the
 * same scope, `this`, arguments and `length`; the accessor still there, still warning once
 * under DEP0172), with the deprecated accessor's wrappers made once instead of per call.
 * Idempotent; installed by createApiApp.
 */
type Fn = (...args: unknown[]) => unknown;
type Bind = (this: AsyncResource, fn: Fn, thisArg?: unknown) => Fn;
type Run = (this: AsyncResource, fn: Fn, thisArg: unknown, ...args: unknown[]) => unknown;

export function installLeanAsyncResourceBind(): void {
  const proto = AsyncResource.prototype as unknown as {
    bind: Bind;
    runInAsyncScope: Run;
    [PATCHED]?: true;
  };
  if (proto[PATCHED]) return;
  const original = proto.bind;
  const runIn = proto.runInAsyncScope;
  const warn = deprecate(() => undefined, DEPRECATED, 'DEP0172');
  const resources = new WeakMap<object, AsyncResource>();
  const get = function (this: object): AsyncResource | undefined {
    warn();
    return resources.get(this);
  };
  const set = function (this: object, value: AsyncResource): void {
    warn();
    resources.set(this, value);
  };
  /** Runs `fn` in `resource`'s scope with the caller's `this`, as Node's bind does. */
  const inScopeOf = (resource: AsyncResource, fn: Fn): Fn =>
    function (this: unknown, ...args: unknown[]): unknown {
      return runIn.call(resource, fn, this, ...args);
    };
  Object.defineProperty(proto, PATCHED, { value: true });
  proto.bind = function bind(this: AsyncResource, fn: Fn, thisArg?: unknown): Fn {
    // Node's own TypeError for what is not a function.
    if (typeof fn !== 'function') return original.call(this, fn, thisArg);
    const bound: Fn = thisArg === undefined ? inScopeOf(this, fn) : runIn.bind(this, fn, thisArg);
    resources.set(bound, this);
    Object.defineProperties(bound, {
      length: { configurable: true, enumerable: false, value: fn.length, writable: false },
      asyncResource: { configurable: true, enumerable: true, get, set },
    });
    return bound;
  };
}
