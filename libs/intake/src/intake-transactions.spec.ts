import { intakeTransactions } from './intake.service';

describe('intakeTransactions', () => {
  it('gives one API process four transactions, within its pool', () => {
    expect(intakeTransactions({ API_PROCESSES: 1, DATABASE_POOL_SIZE: 10 })).toBe(4);
    expect(intakeTransactions({ API_PROCESSES: 1, DATABASE_POOL_SIZE: 4 })).toBe(2);
    expect(intakeTransactions({ API_PROCESSES: 1, DATABASE_POOL_SIZE: 1 })).toBe(1);
  });

  it('shares the four out among the API processes of a host, at least one each', () => {
    expect(intakeTransactions({ API_PROCESSES: 2, DATABASE_POOL_SIZE: 10 })).toBe(2);
    expect(intakeTransactions({ API_PROCESSES: 3, DATABASE_POOL_SIZE: 10 })).toBe(2);
    expect(intakeTransactions({ API_PROCESSES: 4, DATABASE_POOL_SIZE: 10 })).toBe(1);
    expect(intakeTransactions({ API_PROCESSES: 16, DATABASE_POOL_SIZE: 10 })).toBe(1);
  });
});
