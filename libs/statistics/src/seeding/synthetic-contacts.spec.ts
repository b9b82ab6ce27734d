import { SyntheticContactGenerator } from './synthetic-contacts';

describe('synthetic contacts', () => {
  const sample = (n: number) => {
    const generator = new SyntheticContactGenerator(7, 730, Date.UTC(2026, 10, 21));
    return Array.from({ length: n }, () => generator.next());
  };

  it('are deterministic for a seed', () => {
    expect(sample(50)).toEqual(sample(50));
  });

  it('are skewed: a few big regions, a long tail of small ones, most callers consenting to statistics', () => {
    const contacts = sample(20_000);
    const byRegion = new Map<string, number>();
    for (const c of contacts) byRegion.set(c.region, (byRegion.get(c.region) ?? 0) + 1);
    const sorted = [...byRegion.values()].sort((a, b) => b - a);
    expect(sorted[0] / contacts.length).toBeGreaterThan(0.2); // Moscow
    expect(sorted.slice(0, 10).reduce((a, b) => a + b, 0) / contacts.length).toBeGreaterThan(0.55);
    expect(byRegion.size).toBeGreaterThan(60);
    expect(sorted[sorted.length - 1]).toBeLessThan(sorted[0] / 50);
    const consenting = contacts.filter((c) => c.statistics).length / contacts.length;
    expect(consenting).toBeGreaterThan(0.8);
    expect(consenting).toBeLessThan(0.9);
    for (const c of contacts) {
      expect(c.startedAt.getTime()).toBeLessThanOrEqual(Date.UTC(2026, 10, 21));
      if (c.services.includes('emergency')) expect(c.immediateRisk).toBe(true);
    }
  });
});
