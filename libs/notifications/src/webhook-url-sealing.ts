import { Inject, Injectable } from '@nestjs/common';
import { affectedOf, EnvelopeCipher, KeyRing, Logger, LOGGER, SealingPass } from '@mayak/platform';
import { DataSource } from 'typeorm';

/** Where a webhook's URL is sealed: under the row's data key, bound to its user. */
export const webhookUrlBinding = (userId: string) => ({
  table: 'staff_webhooks',
  id: userId,
  column: 'url',
});

/**
 * Seals the webhook URLs an older version stored in plaintext (see the StaffProtection
 * migration) as soon as this process holds the keys: each under its row's existing data key,
 * one row per statement, and only while the row still holds the plaintext, so that passes in
 * several processes at once do no harm.
 */
@Injectable()
export class WebhookUrlSealing extends SealingPass {
  constructor(
    private readonly db: DataSource,
    private readonly cipher: EnvelopeCipher,
    ring: KeyRing,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(ring, logger, 'webhook URLs');
  }

  /** Seals every plaintext URL left; returns how many this call sealed. */
  async sealRemaining(): Promise<number> {
    const rows: Array<{ user_id: string; url: string; dek_wrapped: Buffer }> = await this.db.query(
      `SELECT user_id, url, dek_wrapped FROM staff_webhooks WHERE url IS NOT NULL`,
    );
    let sealed = 0;
    for (const row of rows) {
      const dek = this.cipher.unwrapDataKey('staff_webhooks', row.user_id, row.dek_wrapped);
      sealed += affectedOf(
        await this.db.query(
          `UPDATE staff_webhooks SET url_enc = $2, url = NULL WHERE user_id = $1 AND url IS NOT NULL`,
          [row.user_id, this.cipher.encrypt(dek, webhookUrlBinding(row.user_id), row.url)],
        ),
      );
    }
    if (sealed > 0) this.logger.info({ sealed }, 'plaintext webhook URLs sealed');
    return sealed;
  }
}
