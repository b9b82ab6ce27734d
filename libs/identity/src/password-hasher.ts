import { Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';

/** argon2id at OWASP's recommended parameters: 19 MiB, two passes, one lane. */
export const ARGON2_OPTIONS = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

@Injectable()
export class PasswordHasher {
  /** Verified against when the user does not exist, so that both cases take as long. */
  private readonly decoy = hash('mayak decoy password', ARGON2_OPTIONS);

  hash(password: string): Promise<string> {
    return hash(password, ARGON2_OPTIONS);
  }

  async verify(stored: string | undefined, password: string): Promise<boolean> {
    try {
      return await verify(stored ?? (await this.decoy), password);
    } catch {
      return false;
    }
  }
}
