import {
  createCipheriv,
  createDecipheriv,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  KeyObject,
  randomBytes,
  randomUUID,
  timingSafeEqual,
  createPublicKey,
} from 'node:crypto';
import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig, describeError, Logger, LOGGER, PgListener } from '@mayak/platform';
import { DataSource } from 'typeorm';
import { CustodyStore } from './custody-store';
import { KeyLoader } from './key-loader.service';
import { NodeCredential } from './node-credential';
import { matchesCheckValue } from './root-secret';
import { RootHolder } from './root-holder';

export const CUSTODY_CHANNEL = 'mayak_custody';

/** A request or grant older (or newer) than this is refused: no replay of old messages. */
const FRESH_MS = 60_000;
/** While unsealed, how often a process also reads the lockdown epoch, in case a NOTIFY was lost. */
const EPOCH_CHECK_MS = 2_000;

type Message =
  | { t: 'request'; node: string; epoch: number; pub: string; ts: number; mac: string }
  | {
      t: 'grant';
      node: string;
      from: string;
      epoch: number;
      epub: string;
      iv: string;
      box: string;
      ts: number;
      mac: string;
    }
  | { t: 'unsealed'; from: string }
  | { t: 'lockdown'; epoch: number | null }
  /** A rotation or retirement changed the keystore: load it again (it carries no key). */
  | { t: 'keystore' };

/**
 * How one unsealing reaches every process, on one machine or several, through PostgreSQL
 * NOTIFY and never with the secret in the clear:
 *
 * - a sealed process makes an ephemeral X25519 key pair and publishes a request with the
 *   public half, MACed with the node credential every process of the installation holds;
 * - an unsealed peer checks the MAC, freshness and lockdown epoch, makes its own ephemeral
 *   pair, and answers with the root secret sealed (AES-256-GCM) under a key both sides derive
 *   from X25519, MACed again;
 * - the requester opens it with the private half only it ever held, checks it against the
 *   check value, and unseals.
 *
 * A lockdown is a NOTIFY too; any process that hears it wipes at once. The threat analysis
 * is docs/security/key-custody.md.
 */
@Injectable()
export class PeerLink implements OnModuleInit, OnModuleDestroy {
  readonly nodeId = randomUUID();
  private listener?: PgListener;
  private pending?: { privateKey: KeyObject; epoch: number; checkValue: Buffer; custodyId: Buffer };
  private epochTimer?: NodeJS.Timeout;

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly root: RootHolder,
    private readonly keys: KeyLoader,
    private readonly store: CustodyStore,
    private readonly credential: NodeCredential,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.listener = new PgListener(
      this.config.DATABASE_URL ?? '',
      CUSTODY_CHANNEL,
      (payload) => void this.receive(payload),
      () => void this.connected(),
    );
    await this.listener.start();
    this.epochTimer = setInterval(() => void this.checkEpoch(), EPOCH_CHECK_MS);
    this.epochTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.epochTimer);
    await this.listener?.stop();
  }

  /** Tells every process that the keystore changed (a rotation, a retirement). */
  async announceKeystoreChanged(): Promise<void> {
    await this.send({ t: 'keystore' });
  }

  /** After an unseal by key holders: sealed peers ask now rather than wait. */
  async announceUnsealed(): Promise<void> {
    await this.send({ t: 'unsealed', from: this.nodeId });
  }

  /** Asks unsealed peers for the root secret (sealed custody, set up, and sealed only). */
  async requestRoot(): Promise<void> {
    if (!this.credential.present || !this.root.sealed) return;
    const record = await this.store.read();
    if (!record) return;
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    const pub = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    this.pending = {
      privateKey,
      epoch: record.lockdownEpoch,
      checkValue: record.checkValue,
      custodyId: record.custodyId,
    };
    const ts = Date.now();
    const base = { t: 'request' as const, node: this.nodeId, epoch: record.lockdownEpoch, pub, ts };
    await this.send({ ...base, mac: this.mac(['request', base.node, base.epoch, pub, ts]) });
  }

  private async connected(): Promise<void> {
    // Notifications sent while we were away are lost: a lockdown among them shows in the epoch.
    await this.checkEpoch();
    await this.requestRoot().catch((error: unknown) =>
      this.logger.warn(describeError(error), 'custody: asking peers failed'),
    );
  }

  private async checkEpoch(): Promise<void> {
    if (this.root.sealed || this.config.keyCustody !== 'sealed') return;
    try {
      const record = await this.store.read();
      if (record && record.lockdownEpoch > this.root.epoch) {
        this.logger.warn(
          { epoch: record.lockdownEpoch },
          'custody: a lockdown was missed; sealing',
        );
        this.root.seal();
      }
    } catch {
      // The database is away; the next check will tell.
    }
  }

  private async receive(payload: string): Promise<void> {
    let message: Message;
    try {
      message = JSON.parse(payload) as Message;
    } catch {
      return;
    }
    try {
      switch (message.t) {
        case 'lockdown':
          if (!this.root.sealed) this.logger.warn({ epoch: message.epoch }, 'lockdown: sealing');
          this.root.seal();
          return;
        case 'unsealed':
          if (message.from !== this.nodeId && this.root.sealed) await this.requestRoot();
          return;
        case 'request':
          return await this.grant(message);
        case 'grant':
          return await this.accept(message);
        case 'keystore':
          return await this.keys.refresh();
      }
    } catch (error) {
      this.logger.warn({ kind: message.t, ...describeError(error) }, 'custody: message refused');
    }
  }

  private async grant(request: Extract<Message, { t: 'request' }>): Promise<void> {
    if (!this.credential.present || request.node === this.nodeId || this.root.sealed) return;
    const expected = this.mac(['request', request.node, request.epoch, request.pub, request.ts]);
    if (!this.fresh(request.ts) || !sameMac(expected, request.mac)) {
      this.logger.warn({}, 'custody: refused a request without a valid node credential');
      return;
    }
    if (request.epoch > this.root.epoch) {
      // The requester has seen a lockdown this process missed.
      this.root.seal();
      return;
    }
    if (request.epoch < this.root.epoch) return;
    const peerKey = createPublicKey({
      key: Buffer.from(request.pub, 'base64'),
      format: 'der',
      type: 'spki',
    });
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    const epub = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const iv = randomBytes(12);
    const aad = `grant|${request.node}|${this.nodeId}|${request.epoch}`;
    const box = this.root.lend((root) => {
      const key = boxKey(privateKey, peerKey, request.node, this.nodeId);
      try {
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        cipher.setAAD(Buffer.from(aad));
        return Buffer.concat([cipher.update(root), cipher.final(), cipher.getAuthTag()]);
      } finally {
        key.fill(0);
      }
    });
    if (!box) return;
    const ts = Date.now();
    const fields = {
      node: request.node,
      from: this.nodeId,
      epoch: request.epoch,
      epub,
      iv: iv.toString('base64'),
      box: box.toString('base64'),
      ts,
    };
    await this.send({
      t: 'grant',
      ...fields,
      mac: this.mac([
        'grant',
        fields.node,
        fields.from,
        fields.epoch,
        epub,
        fields.iv,
        fields.box,
        ts,
      ]),
    });
  }

  private async accept(grant: Extract<Message, { t: 'grant' }>): Promise<void> {
    const pending = this.pending;
    if (!this.credential.present || grant.node !== this.nodeId || !pending || !this.root.sealed)
      return;
    const expected = this.mac([
      'grant',
      grant.node,
      grant.from,
      grant.epoch,
      grant.epub,
      grant.iv,
      grant.box,
      grant.ts,
    ]);
    if (!this.fresh(grant.ts) || !sameMac(expected, grant.mac) || grant.epoch !== pending.epoch) {
      this.logger.warn({}, 'custody: refused a grant without a valid node credential');
      return;
    }
    const peerKey = createPublicKey({
      key: Buffer.from(grant.epub, 'base64'),
      format: 'der',
      type: 'spki',
    });
    const key = boxKey(pending.privateKey, peerKey, this.nodeId, grant.from);
    const sealedBox = Buffer.from(grant.box, 'base64');
    let root: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(grant.iv, 'base64'));
      decipher.setAAD(Buffer.from(`grant|${grant.node}|${grant.from}|${grant.epoch}`));
      decipher.setAuthTag(sealedBox.subarray(sealedBox.length - 16));
      root = Buffer.concat([
        decipher.update(sealedBox.subarray(0, sealedBox.length - 16)),
        decipher.final(),
      ]);
    } finally {
      key.fill(0);
    }
    if (!matchesCheckValue(root, pending.custodyId, pending.checkValue)) {
      root.fill(0);
      this.logger.warn({}, 'custody: a grant did not match the check value');
      return;
    }
    this.pending = undefined;
    await this.keys.unseal(root, grant.epoch);
    this.logger.info({ epoch: grant.epoch }, 'unsealed by a peer');
  }

  private fresh(ts: number): boolean {
    return typeof ts === 'number' && Math.abs(Date.now() - ts) < FRESH_MS;
  }

  private mac(parts: Array<string | number>): string {
    return this.credential.mac('peer', parts).toString('base64');
  }

  private async send(message: Message): Promise<void> {
    await this.db.query(`SELECT pg_notify($1, $2)`, [CUSTODY_CHANNEL, JSON.stringify(message)]);
  }
}

function boxKey(own: KeyObject, peer: KeyObject, requester: string, granter: string): Buffer {
  const shared = diffieHellman({ privateKey: own, publicKey: peer });
  try {
    return Buffer.from(
      hkdfSync('sha256', shared, `${requester}|${granter}`, 'mayak:peer-unseal:v1', 32),
    );
  } finally {
    shared.fill(0);
  }
}

function sameMac(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
