import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';

/** The parts of the server's options an authenticator reads. */
export interface RegistrationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string };
}
export interface AssertionOptions {
  challenge: string;
  rpId?: string;
}

/** What navigator.credentials.create answers, as JSON. */
export interface RegistrationJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, never>;
}

/** What navigator.credentials.get answers, as JSON. */
export interface AssertionJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle?: string;
  };
  clientExtensionResults: Record<string, never>;
}

/** Where tests' pages and requests come from: a passkey is bound to localhost. */
export const TEST_ORIGIN = 'http://localhost';

/**
 * A software authenticator holding one discoverable P-256 credential (packed "none"
 * attestation), built from the WebAuthn spec so that API tests can register and use a passkey
 * without a browser. The same key can be handed to Chromium's virtual authenticator
 * (`WebAuthn.addCredential`), so that a browser test signs in with it too.
 */
export class SoftPasskey {
  readonly credentialId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  private signCount = 0;
  /** Set at registration: the user handle the server chose, the relying party, the page. */
  userHandle?: string;
  rpId?: string;
  origin = TEST_ORIGIN;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.publicJwk = { x: jwk.x!, y: jwk.y! };
  }

  get id(): string {
    return this.credentialId.toString('base64url');
  }

  /**
   * Lends this key to another authenticator (Chromium's virtual one, in browser tests): the
   * signature counter that one should start from. The server refuses a counter that does not
   * move on (a cloned key), so this key's own counter jumps past the `uses` the other may make
   * with it: neither ever goes back.
   */
  lend(uses = 1000): number {
    const start = this.signCount + 1;
    this.signCount = start + uses;
    return start;
  }

  /** The private key as PKCS#8, base64: what WebAuthn.addCredential takes. */
  pkcs8Base64(): string {
    return this.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
  }

  /** Answers a registration as a browser would from `origin`. */
  register(options: RegistrationOptions, origin = this.origin): RegistrationJson {
    this.origin = origin;
    this.rpId = options.rp.id ?? new URL(origin).hostname;
    this.userHandle = options.user.id;
    const clientData = Buffer.from(
      JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin }),
    );
    const coseKey = cbor(
      new Map<number, unknown>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(this.publicJwk.x, 'base64url')],
        [-3, Buffer.from(this.publicJwk.y, 'base64url')],
      ]),
    );
    const length = Buffer.alloc(2);
    length.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(Buffer.from(this.rpId)),
      Buffer.from([0x45]), // user present, user verified, attested credential data
      counter(this.signCount),
      Buffer.alloc(16), // AAGUID
      length,
      this.credentialId,
      coseKey,
    ]);
    const attestationObject = cbor(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientData.toString('base64url'),
        attestationObject: attestationObject.toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
    };
  }

  /** Answers an assertion as a browser would from `origin`; the counter moves on. */
  assert(options: AssertionOptions, origin = this.origin): AssertionJson {
    const rpId = options.rpId ?? this.rpId ?? new URL(origin).hostname;
    this.signCount += 1;
    const clientData = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin }),
    );
    const authData = Buffer.concat([
      sha256(Buffer.from(rpId)),
      Buffer.from([0x05]), // user present, user verified
      counter(this.signCount),
    ]);
    const signature = sign(
      'sha256',
      Buffer.concat([authData, sha256(clientData)]),
      this.privateKey,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientData.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: this.userHandle,
      },
      clientExtensionResults: {},
    };
  }
}

const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

function counter(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

/** The little CBOR (RFC 8949) an authenticator writes: integers, text, bytes and maps. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65536) {
      const b = Buffer.alloc(3);
      b[0] = (major << 5) | 25;
      b.writeUInt16BE(n, 1);
      return b;
    }
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) {
    const parts: Buffer[] = [head(5, value.size)];
    for (const [k, v] of value) parts.push(cbor(k), cbor(v));
    return Buffer.concat(parts);
  }
  throw new Error(`cbor: cannot encode ${typeof value}`);
}
