import { totpCode } from '@mayak/identity';
import { HttpClient, settlePasskey, signInWithPasskey, SoftPasskey } from '@mayak/testing';

export interface BenchAccount {
  id: string;
  username: string;
  password: string;
  totpSecret: string;
  /**
   * A coordinator's or admin's passkey (PASSKEY_REQUIRED_ROLES), registered at its first
   * sign-in; every copy of the template database holds it.
   */
  passkey?: SoftPasskey;
}

/** A small JSON-over-fetch client for setting up figures (not for load: autocannon does that). */
export class Api {
  constructor(readonly baseUrl: string) {}

  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T; text: string }> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text)
      parsed = JSON.parse(text);
    return { status: response.status, body: parsed as T, text };
  }

  /** Fails with the status and body when the answer is not the one expected. */
  async expect<T = unknown>(
    status: number,
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<T> {
    const response = await this.call<T>(method, path, body, token);
    if (response.status !== status)
      throw new Error(
        `${method} ${path} answered ${response.status} (expected ${status}): ${response.text.slice(0, 300)}`,
      );
    return response.body;
  }
}

/**
 * Each TOTP code signs in once (the server remembers the last step used, and a figure's
 * database, a copy of the template, remembers the template's), so successive sign-ins of one
 * account take successive steps, by account; the server accepts one step ahead.
 */
const usedSteps = new Map<string, number>();

export async function signIn(api: Api, account: BenchAccount): Promise<string> {
  const http = new HttpClient(api.baseUrl);
  if (account.passkey) return signInWithPasskey(http, account, account.passkey);
  const key = account.username;
  const current = Math.floor(Date.now() / 30_000);
  const step = Math.max(current, (usedSteps.get(key) ?? current - 1) + 1);
  usedSteps.set(key, step);
  // A code is accepted one step early at most: wait until this one's step is that close.
  while (step > Math.floor(Date.now() / 30_000) + 1)
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  const { token } = await api.expect<{ token: string }>(200, 'POST', '/api/auth/login', {
    username: account.username,
    password: account.password,
    totp: totpCode(account.totpSecret, step * 30_000 + 1_000),
  });
  const settled = await settlePasskey(http, token, account);
  if (settled.passkey) account.passkey = settled.passkey;
  return settled.token;
}

/** Runs tasks with at most `limit` at a time (sign-ins hash passwords: the API has two cores). */
export async function inBatches<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}
