import { Column, Entity, PrimaryColumn } from 'typeorm';
import { Role } from './roles';

@Entity('users')
export class UserEntity {
  @PrimaryColumn('uuid') id!: string;
  /**
   * The keyed pseudonym of the normalised username: how an account is found by name. The name
   * itself is only in `usernameEnc` (see StaffNames); the old plaintext column is left to the
   * StaffProtection migration's conversion and is not mapped.
   */
  @Column('bytea', { name: 'username_hash' }) usernameHash!: Buffer;
  @Column('bytea', { name: 'username_enc' }) usernameEnc!: Buffer;
  @Column('text', { name: 'password_hash' }) passwordHash!: string;
  /** A second password whose use signs in as usual and silently locks everything down. */
  @Column('text', { name: 'duress_password_hash', nullable: true })
  duressPasswordHash!: string | null;
  @Column('text', { array: true }) roles!: Role[];
  /** The user's data key, wrapped by the master key; it encrypts the username and the TOTP secret. */
  @Column('bytea', { name: 'dek_wrapped' }) dekWrapped!: Buffer;
  @Column('bytea', { name: 'totp_secret_enc', nullable: true }) totpSecretEnc!: Buffer | null;
  @Column('boolean', { name: 'totp_enrolled' }) totpEnrolled!: boolean;
  /** The last TOTP time step accepted: a code is good once. */
  @Column('bigint', { name: 'totp_last_step', nullable: true }) totpLastStep!: string | null;
  @Column('timestamptz', { name: 'disabled_at', nullable: true }) disabledAt!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
