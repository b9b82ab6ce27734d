import { Inject, Injectable } from '@nestjs/common';
import { AccessControl, AccessError, AccessException } from '@mayak/access';
import { Actor } from '@mayak/identity';
import {
  AppConfig,
  EnvelopeCipher,
  ExactTimes,
  Logger,
  LOGGER,
  signWebhook,
} from '@mayak/platform';
import { DataSource } from 'typeorm';
import { NotificationsError, NotificationsException } from './notifications.exception';
import { postPinned, WebhookTarget, WebhookTargetRefused, WebhookTargets } from './webhook-target';
import { webhookUrlBinding, WebhookUrlSealing } from './webhook-url-sealing';

export interface WebhookSettings {
  url: string;
  /** Shared with the receiver to check signatures; stored encrypted, never returned. */
  secret: string;
}

/** What a receiver gets: ids and a link, never personal data. */
export interface WebhookBody {
  id: string;
  type: string;
  caseId: string | null;
  link: string | null;
  createdAt: string;
}

export class WebhookDeliveryError extends Error {
  constructor(readonly status: number | 'network' | 'refused') {
    super(`webhook receiver answered ${status}`);
    this.name = 'WebhookDeliveryError';
  }
}

export { signWebhook } from '@mayak/platform';

/**
 * Outbound webhooks, one per staff member, so a helpline can bridge pages to its own secure
 * messenger. Each notification is its own job (a failing receiver delays nobody else),
 * retried with backoff until the receiver answers 2xx once; after that it is never sent again.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly db: DataSource,
    private readonly access: AccessControl,
    private readonly cipher: EnvelopeCipher,
    private readonly config: AppConfig,
    private readonly sealing: WebhookUrlSealing,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly times: ExactTimes,
    private readonly targets: WebhookTargets,
  ) {}

  async set(actor: Actor, settings: WebhookSettings): Promise<{ url: string }> {
    await this.access.requireCapability(actor, 'staff:set-own', { type: 'user', id: actor.userId });
    await this.checkUrl(settings.url);
    const dek = this.cipher.newDataKey('staff_webhooks', actor.userId);
    // The URL names the person's own messenger bridge or server: sealed like the secret.
    await this.db.query(
      `INSERT INTO staff_webhooks (user_id, url_enc, dek_wrapped, secret_enc) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id) DO UPDATE SET url = NULL, url_enc = $2, dek_wrapped = $3, secret_enc = $4, updated_at = now()`,
      [
        actor.userId,
        this.cipher.encrypt(dek, webhookUrlBinding(actor.userId), settings.url),
        dek.wrapped,
        this.cipher.encrypt(
          dek,
          { table: 'staff_webhooks', id: actor.userId, column: 'secret' },
          settings.secret,
        ),
      ],
    );
    return { url: settings.url };
  }

  /** Where one's own pages are bridged to; never the secret. */
  async get(actor: Actor): Promise<{ url: string }> {
    await this.access.requireCapability(actor, 'staff:set-own', { type: 'user', id: actor.userId });
    await this.sealing.settled();
    const rows: Array<{ url_enc: Buffer; dek_wrapped: Buffer }> = await this.db.query(
      `SELECT url_enc, dek_wrapped FROM staff_webhooks WHERE user_id = $1`,
      [actor.userId],
    );
    if (!rows[0]) throw new AccessException(AccessError.NotFound);
    const dek = this.cipher.unwrapDataKey('staff_webhooks', actor.userId, rows[0].dek_wrapped);
    return {
      url: this.cipher.decrypt(dek, webhookUrlBinding(actor.userId), rows[0].url_enc),
    };
  }

  async remove(actor: Actor): Promise<void> {
    await this.access.requireCapability(actor, 'staff:set-own', { type: 'user', id: actor.userId });
    await this.db.query(`DELETE FROM staff_webhooks WHERE user_id = $1`, [actor.userId]);
  }

  /** The deliver-webhook job. Throws (so BullMQ retries with backoff) until the receiver accepts. */
  async deliver(notificationId: string): Promise<'delivered' | 'already_delivered' | 'no_webhook'> {
    await this.sealing.settled();
    const rows: Array<{
      id: string;
      type: string;
      case_id: string | null;
      created_at: Date;
      created_enc: Buffer | null;
      user_id: string;
      url_enc: Buffer | null;
      dek_wrapped: Buffer | null;
      secret_enc: Buffer | null;
      delivered_at: Date | null;
    }> = await this.db.query(
      `SELECT n.id, n.type, n.case_id, n.created_at, n.created_enc, n.user_id, w.url_enc, w.dek_wrapped, w.secret_enc, d.delivered_at
         FROM notifications n
         LEFT JOIN staff_webhooks w ON w.user_id = n.user_id
         LEFT JOIN webhook_deliveries d ON d.notification_id = n.id
        WHERE n.id = $1`,
      [notificationId],
    );
    const row = rows[0];
    if (!row || !row.url_enc || !row.dek_wrapped || !row.secret_enc) return 'no_webhook';
    if (row.delivered_at) return 'already_delivered';
    const dek = this.cipher.unwrapDataKey('staff_webhooks', row.user_id, row.dek_wrapped);
    const secret = this.cipher.decrypt(
      dek,
      { table: 'staff_webhooks', id: row.user_id, column: 'secret' },
      row.secret_enc,
    );
    const url = this.cipher.decrypt(dek, webhookUrlBinding(row.user_id), row.url_enc);
    const body: WebhookBody = {
      id: row.id,
      type: row.type,
      caseId: row.case_id,
      link: row.case_id ? `${this.config.publicUrl}/cases/${row.case_id}` : null,
      createdAt: this.times
        .open(
          { table: 'notifications', id: row.id, column: 'created_at' },
          row.created_enc,
          row.created_at,
        )
        .toISOString(),
    };
    const payload = JSON.stringify(body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let status: number | 'network' | 'refused';
    // Checked again at every delivery (the name may resolve elsewhere now), and the connection
    // goes to the address just checked.
    let target: WebhookTarget | undefined;
    try {
      target = await this.targets.check(url);
    } catch (error) {
      if (!(error instanceof WebhookTargetRefused)) throw error;
    }
    if (!target) status = 'refused';
    else
      try {
        status = await postPinned(
          target,
          {
            'content-type': 'application/json',
            'user-agent': 'Mayak-Webhook/1',
            'x-mayak-delivery': row.id,
            'x-mayak-timestamp': timestamp,
            'x-mayak-signature': signWebhook(secret, timestamp, payload),
          },
          payload,
          5_000,
        );
      } catch {
        status = 'network';
      }
    const delivered = typeof status === 'number' && status >= 200 && status < 300;
    await this.db.query(
      `INSERT INTO webhook_deliveries (notification_id, attempts, last_status, delivered_at) VALUES ($1, 1, $2, CASE WHEN $3 THEN $4::timestamptz END)
       ON CONFLICT (notification_id) DO UPDATE SET attempts = webhook_deliveries.attempts + 1, last_status = $2,
              delivered_at = coalesce(webhook_deliveries.delivered_at, CASE WHEN $3 THEN $4::timestamptz END)`,
      // Only whether it was delivered matters; the day is all that is kept of when.
      [
        row.id,
        typeof status === 'number' ? status : null,
        delivered,
        this.times.dayOf(this.times.now()),
      ],
    );
    if (!delivered) {
      this.logger.warn({ notificationId: row.id, status }, 'webhook not accepted; will retry');
      throw new WebhookDeliveryError(status);
    }
    return 'delivered';
  }

  /** https to a public address, unless the operator allows the host (WebhookTargets). */
  private async checkUrl(url: string): Promise<void> {
    try {
      await this.targets.check(url);
    } catch (error) {
      if (error instanceof WebhookTargetRefused)
        throw new NotificationsException(NotificationsError.BadWebhookUrl, error.message);
      throw error;
    }
  }
}
