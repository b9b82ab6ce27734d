import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { installLeanAsyncResourceBind } from './async-resource-bind';

describe('AsyncResource.prototype.bind, made once per call rather than with two deprecate wrappers', () => {
  const als = new AsyncLocalStorage<string>();
  function probe(this: unknown, ...args: unknown[]) {
    return { store: als.getStore(), self: this, args };
  }
  const bindIn = (store: string, thisArg?: unknown) =>
    als.run(store, () => {
      const resource = new AsyncResource('probe');
      // Node's bind takes a thisArg, which its types leave out.
      const bind = resource.bind.bind(resource) as (
        fn: typeof probe,
        thisArg?: unknown,
      ) => typeof probe;
      return { resource, bound: bind(probe, thisArg) };
    });

  const behaviour = () => {
    const { resource, bound } = bindIn('bound here');
    const self = { name: 'caller' };
    const calledFrom = als.run('elsewhere', () => bound.call(self, 1, 2));
    const withThis = bindIn('bound here', 'fixed').bound;
    return {
      calledFrom,
      withThis: als.run('elsewhere', () => withThis(3)),
      length: [bound.length, resource.bind((a: number, b: number) => a + b).length],
      enumerable: Object.keys(bound),
      resourceIsTheOne:
        (bound as unknown as { asyncResource: AsyncResource }).asyncResource === resource,
      notAFunction: (() => {
        try {
          resource.bind(42 as unknown as () => void);
          return 'no error';
        } catch (error) {
          return (error as { code?: string }).code;
        }
      })(),
    };
  };

  it('keeps the scope it was bound in, the caller’s this or the given one, the arguments, length and the accessor', () => {
    const before = behaviour();
    installLeanAsyncResourceBind();
    installLeanAsyncResourceBind(); // idempotent
    const after = behaviour();
    expect(after).toEqual(before);
    expect(after.calledFrom).toEqual({
      store: 'bound here',
      self: { name: 'caller' },
      args: [1, 2],
    });
    expect(after.withThis).toEqual({ store: 'bound here', self: 'fixed', args: [3] });
    expect(after.length).toEqual([0, 2]);
    expect(after.resourceIsTheOne).toBe(true);
    expect(after.notAFunction).toBe('ERR_INVALID_ARG_TYPE');
  });
});
