import { benchmarkDisclosure } from './disclosure.bench';

// Correctness only: timings on a shared test machine prove nothing.
describe('benchmarkDisclosure', () => {
  it('times every table in every round on the dashboard breakdown and reports ordered percentiles', () => {
    const result = benchmarkDisclosure({ tables: 3, rounds: 2 });
    expect(result).toMatchObject({
      dimensions: ['month', 'region', 'topic'],
      tables: 3,
      samples: 6,
    });
    expect(result.meanNonZeroCells).toBeGreaterThan(300);
    expect(result.meanSuppressedShare).toBeGreaterThan(0);
    expect(result.meanSuppressedShare).toBeLessThanOrEqual(1);
    expect(result.p50Ms).toBeGreaterThan(0);
    expect(result.p50Ms).toBeLessThanOrEqual(result.p95Ms);
    expect(result.p95Ms).toBeLessThanOrEqual(result.maxMs);
    expect(result.machine.cores).toBeGreaterThan(0);
  });

  it('benchmarks the breakdown it is given', () => {
    const result = benchmarkDisclosure({
      dimensions: [{ name: 'region', size: 4, skew: 1 }],
      total: 100,
      tables: 2,
      rounds: 1,
    });
    expect(result).toMatchObject({ dimensions: ['region'], tables: 2, samples: 2 });
    expect(result.meanNonZeroCells).toBeLessThanOrEqual(4);
  });
});
