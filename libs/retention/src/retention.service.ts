import { Inject, Injectable } from '@nestjs/common';
import { SessionService } from '@mayak/identity';
import { affectedOf, Logger, LOGGER } from '@mayak/platform';
import { DataSource } from 'typeorm';

/** How long a finished outbox row is kept, for operators investigating a job. */
const OUTBOX_KEEP_DAYS = 7;
/** Idempotency keys only need to outlive a client's retries. */
const IDEMPOTENCY_KEEP_HOURS = 24;

export interface RetentionReport {
  sessions: number;
  outbox: number;
  idempotencyKeys: number;
  contacts: number;
  notes: number;
}

/**
 * Destroys what has outlived its purpose. Runs hourly on the maintenance queue; every step
 * is idempotent, so a retry or a second worker doing the same is harmless.
 *
 * A contact past the retention period the caller agreed to loses its encrypted fields (its
 * data key is destroyed, so copies in backups die with it), and so do the notes of its cases
 * once those are closed; categorical fields stay, for the statistics.
 */
@Injectable()
export class RetentionService {
  constructor(
    private readonly db: DataSource,
    private readonly sessions: SessionService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async sweep(): Promise<RetentionReport> {
    const sessions = await this.sessions.purgeExpired();
    const outbox = affectedOf(
      await this.db.query(
        `DELETE FROM outbox WHERE status = 'done' AND done_at < now() - make_interval(days => $1)`,
        [OUTBOX_KEEP_DAYS],
      ),
    );
    const idempotencyKeys = affectedOf(
      await this.db.query(
        `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)`,
        [IDEMPOTENCY_KEEP_HOURS],
      ),
    );
    const contacts = affectedOf(
      await this.db.query(
        `UPDATE contacts SET dek_wrapped = NULL, pseudonym_enc = NULL, summary_enc = NULL, erased_at = now()
          WHERE expires_at < now() AND erased_at IS NULL`,
      ),
    );
    const notes = affectedOf(
      await this.db.query(
        `UPDATE case_notes n SET dek_wrapped = NULL, text_enc = NULL, erased_at = now()
           FROM cases c JOIN contacts ct ON ct.id = c.contact_id
          WHERE n.case_id = c.id AND n.erased_at IS NULL AND c.status = 'closed' AND ct.expires_at < now()`,
      ),
    );
    const report = { sessions, outbox, idempotencyKeys, contacts, notes };
    this.logger.info(report, 'retention sweep');
    return report;
  }
}
