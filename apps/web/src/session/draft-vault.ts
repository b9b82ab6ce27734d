import { api } from '../api/client';

/**
 * Unsaved drafts kept across a reload or a crashed tab, but never in the clear on the staff
 * member's disk. What goes into localStorage is AES-GCM ciphertext under a key that only the
 * live server session gives out (GET /api/auth/draft-key, derived from the session on the
 * server and never stored): once the session ends (sign-out, lock, idle, lockdown, seizure of
 * the server) nothing can read it. Signing out and locking also wipe it at once.
 *
 * Without WebCrypto (a page served over plain HTTP to a LAN address) nothing is kept: the
 * draft then lives only in the page, as before.
 */
const PREFIX = 'mayak.draft.';
const VERSION = 1;

let key: Promise<CryptoKey | null> | null = null;

function available(): boolean {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined && 'localStorage' in window;
}

function sessionKey(): Promise<CryptoKey | null> {
  key ??= api
    .get<{ key: string }>('/api/auth/draft-key')
    .then(({ key: encoded }) =>
      crypto.subtle.importKey('raw', fromBase64(encoded), 'AES-GCM', false, ['encrypt', 'decrypt']),
    )
    .catch(() => {
      key = null;
      return null;
    });
  return key;
}

const slot = (name: string, userId: string) => `${PREFIX}${name}.${userId}`;
const binding = (name: string, userId: string) =>
  new TextEncoder().encode(`mayak-draft:v${VERSION}:${name}:${userId}`);

/**
 * Encrypts and stores `value` as this person's draft `name`; quietly keeps nothing on failure.
 * `stillWanted` is asked just before writing: a draft dropped meanwhile stays dropped.
 */
export async function keepDraft(
  name: string,
  userId: string,
  value: unknown,
  stillWanted: () => boolean = () => true,
): Promise<void> {
  if (!available()) return;
  const k = await sessionKey();
  if (!k) return;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(value));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: binding(name, userId) },
    k,
    plain,
  );
  if (!stillWanted() || key === null) return;
  try {
    localStorage.setItem(
      slot(name, userId),
      JSON.stringify({ v: VERSION, iv: toBase64(iv), ct: toBase64(new Uint8Array(sealed)) }),
    );
  } catch {
    // Storage full or refused: the draft stays in the page only.
  }
}

/**
 * This person's draft `name`, if one was kept under this session's key. A draft that cannot be
 * opened (another session's, tampered with) is removed.
 */
export async function openDraft<T>(name: string, userId: string): Promise<T | undefined> {
  if (!available()) return undefined;
  let stored: string | null;
  try {
    stored = localStorage.getItem(slot(name, userId));
  } catch {
    return undefined;
  }
  if (!stored) return undefined;
  const k = await sessionKey();
  if (!k) return undefined;
  try {
    const { v, iv, ct } = JSON.parse(stored) as { v: number; iv: string; ct: string };
    if (v !== VERSION) throw new Error('unknown draft format');
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64(iv), additionalData: binding(name, userId) },
      k,
      fromBase64(ct),
    );
    return JSON.parse(new TextDecoder().decode(plain)) as T;
  } catch {
    dropDraft(name, userId);
    return undefined;
  }
}

export function dropDraft(name: string, userId: string): void {
  try {
    localStorage.removeItem(slot(name, userId));
  } catch {
    // Nothing to remove.
  }
}

/** Every kept draft, of everyone on this browser, and the session key: on sign-out and lock. */
export function wipeDrafts(): void {
  key = null;
  try {
    for (const name of Object.keys(localStorage))
      if (name.startsWith(PREFIX)) localStorage.removeItem(name);
  } catch {
    // Nothing to wipe.
  }
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}
