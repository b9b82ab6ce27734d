import { MAX_INPUT_DEPTH, unsafeInputFields } from './validation';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

describe('input no field can hold', () => {
  it('a NUL character is refused, naming the field and not the value', () => {
    expect(unsafeInputFields({ username: 'a\u0000b', other: 'fine' }, '')).toEqual({
      username: ['username must not contain NUL characters or unpaired surrogates'],
    });
  });

  it('an unpaired surrogate is refused wherever it is, a proper pair is text', () => {
    expect(unsafeInputFields({ caller: { pseudonym: 'x\ud800' } }, '')).toEqual({
      'caller.pseudonym': [expect.stringContaining('unpaired surrogates')],
    });
    expect(unsafeInputFields({ topics: ['ok', '\udfff'] }, '')).toHaveProperty(['topics.1']);
    expect(unsafeInputFields({ note: 'Маяк 🏳️‍🌈 𝕏' }, '')).toBeUndefined();
  });

  it('a bad string as the whole input or a path parameter is named by the parameter', () => {
    expect(unsafeInputFields('\u0000', '')).toEqual({ body: [expect.any(String)] });
    expect(unsafeInputFields('\u0000', 'id')).toEqual({ id: [expect.any(String)] });
  });

  it(`nesting up to ${MAX_INPUT_DEPTH} levels is allowed, deeper is refused`, () => {
    expect(unsafeInputFields(nested(MAX_INPUT_DEPTH), '')).toBeUndefined();
    expect(unsafeInputFields(nested(MAX_INPUT_DEPTH + 1), '')).toEqual({
      [Array(MAX_INPUT_DEPTH).fill('a').join('.')]: [expect.stringContaining('nested more than')],
    });
  });

  it('a hundred thousand levels of nesting are refused without overflowing the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(unsafeInputFields({ roles: deep }, '')).toBeDefined();
  });

  it('property names are text too', () => {
    expect(unsafeInputFields({ 'a\u0000': 1 }, '')).toEqual({
      body: ['body property names must not contain NUL characters or unpaired surrogates'],
    });
  });
});
