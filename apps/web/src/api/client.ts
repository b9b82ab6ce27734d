/**
 * The one way the UI talks to the API: same-origin fetch with the HttpOnly session cookie,
 * the CSRF token echoed on every state-changing request, and errors turned into ApiError
 * with the server's stable code. A 401 anywhere but at sign-in means the session is gone;
 * listeners (the session provider) take the person back to the sign-in screen. A 503
 * `sealed` anywhere means the keys are gone; listeners (the custody provider) say so.
 */

export const CSRF_COOKIE = 'mayak_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly fields: Record<string, string[]> = {},
    readonly errorId?: string,
  ) {
    super(code);
    this.name = 'ApiError';
  }
}

let clockOffsetMs = 0;

/**
 * The server's idea of now. Laptops' clocks drift and some are set wrong on purpose; idle
 * timeouts and countdowns must follow the server's clock, learnt from each response's Date.
 */
export function serverNow(): number {
  return Date.now() + clockOffsetMs;
}

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();
const sealedListeners = new Set<Listener>();

/** Called whenever the server says the session is gone; returns the unsubscribe function. */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

/**
 * Called whenever any answer says Mayak is sealed (503 `sealed`: the keys are not in memory,
 * after a lockdown or a restart); returns the unsubscribe function.
 */
export function onSealed(listener: Listener): () => void {
  sealedListeners.add(listener);
  return () => sealedListeners.delete(listener);
}

/** Where a 401 is an answer about credentials, not a lost session. */
const CREDENTIAL_ROUTES = new Set(['/api/auth/login', '/api/auth/totp/enrol']);

export function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

export interface RequestOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
  retried = false,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const token = csrfToken();
    if (token) headers[CSRF_HEADER] = token;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network');
  }
  const serverDate = Date.parse(response.headers.get('date') ?? '');
  // Date has whole seconds: keep the offset at zero unless the clocks really disagree.
  if (!Number.isNaN(serverDate)) {
    const offset = serverDate - Date.now();
    clockOffsetMs = Math.abs(offset) > 2_000 ? offset : 0;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed as T;

  const errorBody = (parsed ?? {}) as {
    error?: string;
    fields?: Record<string, string[]>;
    errorId?: string;
  };
  const error = new ApiError(
    response.status,
    errorBody.error ?? `http_${response.status}`,
    errorBody.fields ?? {},
    errorBody.errorId,
  );
  // The server hands out a fresh CSRF cookie with the refusal when ours was missing or stale
  // (an old session, cleared cookies): one retry picks it up.
  if (error.code === 'csrf_failed' && !retried)
    return request<T>(method, path, body, options, true);
  if (response.status === 503 && error.code === 'sealed')
    sealedListeners.forEach((listener) => listener());
  if (response.status === 401 && !CREDENTIAL_ROUTES.has(path))
    unauthenticatedListeners.forEach((listener) => listener());
  return Promise.reject(error);
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('POST', path, body, options),
  put: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('PUT', path, body, options),
  delete: <T>(path: string, options?: RequestOptions) =>
    request<T>('DELETE', path, undefined, options),
};
