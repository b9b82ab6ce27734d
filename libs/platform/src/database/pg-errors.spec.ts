import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isConnectionError } from './pg-errors';

describe('isConnectionError', () => {
  it('a server shutting down or unreachable is a connection error (the API answers 503)', () => {
    expect(isConnectionError(Object.assign(new Error('terminating'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isConnectionError(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('a transaction whose connection the server dropped between statements is a connection error', () => {
    expect(isConnectionError(new QueryRunnerProviderAlreadyReleasedError())).toBe(true);
    expect(isConnectionError(new QueryRunnerAlreadyReleasedError())).toBe(true);
  });

  it('a wrong query is not', () => {
    expect(isConnectionError(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false);
    expect(isConnectionError(Object.assign(new Error('protocol'), { code: '08P01' }))).toBe(false);
    expect(isConnectionError(new Error('something else'))).toBe(false);
  });
});
