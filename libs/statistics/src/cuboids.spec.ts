import { chooseCuboid, CUBOIDS } from './cuboids';

describe('choosing a rollup cuboid', () => {
  it('takes the exact cuboid when there is one', () => {
    expect(chooseCuboid(['region', 'topic'])?.dimensions).toEqual(['region', 'topic']);
    expect(chooseCuboid([])?.dimensions).toEqual([]);
  });

  it('may sum over extra single-valued dimensions, never over topics or services', () => {
    // channel × outcome × ageBand × genderIdentity covers channel × ageBand × genderIdentity.
    expect(chooseCuboid(['channel', 'ageBand', 'genderIdentity'])?.dimensions).toEqual([
      'channel',
      'outcome',
      'ageBand',
      'genderIdentity',
    ]);
    // region × topic × service would sum over topics: a contact with two topics would count twice.
    expect(chooseCuboid(['region', 'ageBand', 'service'])).toBeUndefined();
  });

  it('keeps every cuboid in canonical order and distinct', () => {
    const keys = CUBOIDS.map((c) => c.join(','));
    expect(new Set(keys).size).toBe(keys.length);
  });
});
