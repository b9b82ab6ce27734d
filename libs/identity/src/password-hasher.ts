import { Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';

/** argon2id at OWASP's recommended parameters: 19 MiB, two passes, one lane. */
export const ARGON2_OPTIONS = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * The `password_hash` of an account that has no password yet: made through the API, its
 * owner sets one with their enrolment code (EnrolmentService). No password verifies against it.
 */
export const NO_PASSWORD = '!awaiting-enrolment';

@Injectable()
export class PasswordHasher {
  /** Verified against when the user does not exist, so that both cases take as long. */
  private readonly decoy = hash('mayak decoy password', ARGON2_OPTIONS);

  hash(password: string): Promise<string> {
    return hash(password, ARGON2_OPTIONS);
  }

  /**
   * Whether `password` is the one `stored` was made from. No account (undefined) and an
   * account awaiting enrolment (NO_PASSWORD) are checked against the decoy, so that they
   * take as long, and are never a match.
   */
  async verify(stored: string | undefined, password: string): Promise<boolean> {
    const real = stored !== undefined && stored !== NO_PASSWORD;
    try {
      return (await verify(real ? stored : await this.decoy, password)) && real;
    } catch {
      return false;
    }
  }
}
