/**
 * The one way the UI talks to the API: same-origin fetch with the HttpOnly session cookie,
 * the CSRF token echoed on every state-changing request, and errors turned into ApiError
 * with the server's stable code. A 401 anywhere but at sign-in means the session is gone;
 * listeners (the session provider) take the person back to the sign-in screen. A 503
 * `sealed` anywhere means the keys are gone; listeners (the custody provider) say so. A 403
 * `reauthentication_required` (role grants, exports, break-glass, passkey changes) asks the
 * person for their password and a passkey or code (the re-authentication prompt) and sends the
 * request once more.
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

/**
 * Asks the signed-in person to prove their password and a passkey or code again; resolves
 * true once POST /api/auth/reauthenticate has passed, false if they gave up. One at a time:
 * requests refused together share the prompt.
 */
type Reauthenticator = () => Promise<boolean>;
let reauthenticator: Reauthenticator | undefined;
let pendingReauthentication: Promise<boolean> | undefined;

/** Set by the re-authentication prompt while it is on the page; returns the unset function. */
export function setReauthenticator(ask: Reauthenticator): () => void {
  reauthenticator = ask;
  return () => {
    if (reauthenticator === ask) reauthenticator = undefined;
  };
}

function reauthenticate(): Promise<boolean> {
  if (!reauthenticator) return Promise.resolve(false);
  pendingReauthentication ??= reauthenticator().finally(() => {
    pendingReauthentication = undefined;
  });
  return pendingReauthentication;
}

/** Where a 401 is an answer about credentials, not a lost session. */
const CREDENTIAL_ROUTES = new Set([
  '/api/auth/login',
  '/api/auth/totp/enrol',
  '/api/auth/passkey/options',
  '/api/auth/passkey/login',
]);

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
  /** The body as text (a CSV export), not parsed as JSON. */
  text?: boolean;
}

/** What a request has been sent again for already: each at most once. */
interface Retried {
  csrf?: boolean;
  reauthentication?: boolean;
}

export async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
  retried: Retried = {},
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
  if (response.ok) return (options.text ? text : parsed) as T;

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
  if (error.code === 'csrf_failed' && !retried.csrf)
    return request<T>(method, path, body, options, { ...retried, csrf: true });
  if (
    response.status === 403 &&
    error.code === 'reauthentication_required' &&
    !retried.reauthentication &&
    (await reauthenticate())
  )
    return request<T>(method, path, body, options, { ...retried, reauthentication: true });
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
