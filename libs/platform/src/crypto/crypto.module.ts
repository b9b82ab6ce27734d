import { Global, Module } from '@nestjs/common';
import { Clock } from '../clock';
import { AppConfig } from '../config';
import { EnvelopeCipher } from './envelope-cipher';
import { ExactTimes } from './exact-times';
import { loadKeyMaterial } from './key-material';
import { KeyRing } from './key-ring';
import { KeyedHash } from './keyed-hash';

/**
 * The process's keys. In file custody they are loaded at start; in sealed custody the ring
 * starts empty and the custody module fills it from the key holders' shares or a peer.
 */
@Global()
@Module({
  providers: [
    {
      provide: KeyRing,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const ring = new KeyRing();
        if (config.keyCustody === 'file') ring.install(loadKeyMaterial(config));
        return ring;
      },
    },
    {
      provide: EnvelopeCipher,
      inject: [KeyRing],
      useFactory: (r: KeyRing) => new EnvelopeCipher(r),
    },
    { provide: KeyedHash, inject: [KeyRing], useFactory: (r: KeyRing) => new KeyedHash(r) },
    {
      provide: ExactTimes,
      inject: [EnvelopeCipher, KeyedHash, AppConfig, Clock],
      useFactory: (c: EnvelopeCipher, h: KeyedHash, config: AppConfig, clock: Clock) =>
        new ExactTimes(c, h, config.STATS_TIMEZONE, clock),
    },
  ],
  exports: [KeyRing, EnvelopeCipher, KeyedHash, ExactTimes],
})
export class CryptoModule {}
