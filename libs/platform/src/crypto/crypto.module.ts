import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config';
import { EnvelopeCipher } from './envelope-cipher';
import { KeyMaterial, loadKeyMaterial } from './key-material';
import { KeyedHash } from './keyed-hash';

export const KEY_MATERIAL = Symbol('KEY_MATERIAL');

@Global()
@Module({
  providers: [
    { provide: KEY_MATERIAL, inject: [AppConfig], useFactory: loadKeyMaterial },
    {
      provide: EnvelopeCipher,
      inject: [KEY_MATERIAL],
      useFactory: (k: KeyMaterial) => new EnvelopeCipher(k),
    },
    {
      provide: KeyedHash,
      inject: [KEY_MATERIAL],
      useFactory: (k: KeyMaterial) => new KeyedHash(k),
    },
  ],
  exports: [EnvelopeCipher, KeyedHash],
})
export class CryptoModule {}
