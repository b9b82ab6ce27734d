import { createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppConfig, readKey } from '@mayak/platform';

/**
 * The credential every process of one installation holds in sealed custody (a Docker secret,
 * or DATA_DIR/keys/node.credential on the embedded stack). It is no key to any data: it
 * authenticates peers to each other, and pins the custody record in the database, so that
 * someone who can only write to the database can neither ask for the root secret nor swap
 * in a root of their own.
 */
@Injectable()
export class NodeCredential implements OnModuleDestroy {
  private readonly secret?: Buffer;

  constructor(config: AppConfig) {
    if (config.keyCustody === 'sealed')
      this.secret = readKey('NODE_CREDENTIAL', config.NODE_CREDENTIAL, config.NODE_CREDENTIAL_FILE);
  }

  get present(): boolean {
    return this.secret !== undefined;
  }

  mac(label: string, parts: Array<string | number | Buffer>): Buffer {
    if (!this.secret) throw new Error('no node credential (KEY_CUSTODY=file)');
    const hmac = createHmac('sha256', this.secret).update(`mayak:${label}:v1`);
    for (const part of parts)
      hmac.update('|').update(Buffer.isBuffer(part) ? part.toString('hex') : String(part));
    return hmac.digest();
  }

  verify(label: string, parts: Array<string | number | Buffer>, given: Buffer): boolean {
    const expected = this.mac(label, parts);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  onModuleDestroy(): void {
    this.secret?.fill(0);
  }
}
