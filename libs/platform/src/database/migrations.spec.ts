import { MIGRATIONS } from './migrations';

describe('the migrations list', () => {
  it('is in the order TypeORM runs them, by timestamp: backups compare schemas by it', () => {
    const stamps = MIGRATIONS.map((migration) => Number(/(\d{13})$/.exec(migration.name)?.[1]));
    expect(stamps.every((stamp) => Number.isSafeInteger(stamp))).toBe(true);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(new Set(stamps).size).toBe(stamps.length);
  });
});
