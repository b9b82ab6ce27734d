import { AuditReferences, AuditTrail } from '@mayak/audit';
import { EnvelopeCipher, ExactTimes, KeyedHash, KeyMaterial, KeyRing } from '@mayak/platform';
import { DataSource } from 'typeorm';

/**
 * An audit trail with no keys at all, as a sealed process has: it appends entries that name
 * no caller record (and refuses, with SealedError, any that do).
 */
export function keylessAuditTrail(db: DataSource): AuditTrail {
  const ring = new KeyRing();
  const hash = new KeyedHash(ring);
  return new AuditTrail(
    db,
    new AuditReferences(hash),
    new ExactTimes(new EnvelopeCipher(ring), hash, 'Europe/Moscow'),
    ring,
  );
}

/**
 * What audit entries call a record, computed from key material a test holds (custodyKeys,
 * for processes that run elsewhere); in-process apps give `app.get(AuditReferences)`.
 */
export function auditReferences(material: KeyMaterial): AuditReferences {
  const ring = new KeyRing();
  ring.install(material);
  return new AuditReferences(new KeyedHash(ring));
}
