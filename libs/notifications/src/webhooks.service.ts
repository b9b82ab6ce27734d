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

/**
 * How long a delivery holds its claim on a notification (see deliver): the send is cut off
 * after SEND_TIMEOUT_MS, so a live holder is always done well before; a holder that died
 * holds it this long, and the job's retries (backoff to half a minute and more) outlast it.
 */
const DELIVERY_LEASE_MS = 30_000;
/** The whole of one POST to a receiver, connection and answer. */
const SEND_TIMEOUT_MS = 5_000;

export class WebhookDeliveryError extends Error {
  /** `in_flight`: another run holds the delivery's lease; retried like a failure. */
  constructor(readonly status: number | 'network' | 'refused' | 'in_flight') {
    super(
      status === 'in_flight'
        ? 'webhook being delivered by another run'
        : `webhook receiver answered ${status}`,
    );
    this.name = 'WebhookDeliveryError';
  }
}

export { signWebhook } from '@mayak/platform';

/**
 * Outbound webhooks, one per staff member, so a helpline can bridge pages to its own secure
 * messenger. Each notification is its own job (a failing receiver delays nobody else),
 * retried with backoff until the receiver answers 2xx once; after that it is never sent again.
 * One send at a time: a delivery claims the notification (a lease) before it sends, so two
 * runs of the job, or two workers, never both send; a receiver that never answered is tried
 * again (at least once), and again only once the lease is released or has run out.
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

  /**
   * The deliver-webhook job. Throws (so BullMQ retries with backoff) until the receiver
   * accepts, and while another run holds the delivery's lease (WebhookDeliveryError
   * 'in_flight'): that run may yet fail, and then this one's retry must send.
   */
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
    // The claim: the row's lease, taken only if it is not delivered and no live lease holds
    // it. The database decides between concurrent runs; the token releases only our own.
    let lease: string | undefined;
    if (target) {
      lease = await this.claim(row.id);
      if (!lease) {
        if (await this.isDelivered(row.id)) return 'already_delivered';
        this.logger.info(
          { notificationId: row.id },
          'webhook being delivered elsewhere; will retry',
        );
        throw new WebhookDeliveryError('in_flight');
      }
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
          SEND_TIMEOUT_MS,
        );
      } catch {
        status = 'network';
      }
    const delivered = typeof status === 'number' && status >= 200 && status < 300;
    // Recorded, and our lease released (the next try need not wait it out): no exact time
    // stays on the row, only the day of delivery.
    await this.db.query(
      `INSERT INTO webhook_deliveries (notification_id, attempts, last_status, delivered_at) VALUES ($1, 1, $2, CASE WHEN $3 THEN $4::timestamptz END)
       ON CONFLICT (notification_id) DO UPDATE SET attempts = webhook_deliveries.attempts + 1, last_status = $2,
              delivered_at = coalesce(webhook_deliveries.delivered_at, CASE WHEN $3 THEN $4::timestamptz END),
              lease_until = CASE WHEN webhook_deliveries.lease_until = $5::timestamptz THEN NULL
                                 ELSE webhook_deliveries.lease_until END`,
      // Only whether it was delivered matters; the day is all that is kept of when.
      [
        row.id,
        typeof status === 'number' ? status : null,
        delivered,
        this.times.dayOf(this.times.now()),
        lease ?? null,
      ],
    );
    if (!delivered) {
      this.logger.warn({ notificationId: row.id, status }, 'webhook not accepted; will retry');
      throw new WebhookDeliveryError(status);
    }
    return 'delivered';
  }

  /**
   * Claims the notification's delivery for DELIVERY_LEASE_MS: its lease (the token that
   * releases it), or undefined if it was delivered or a live lease holds it. One statement,
   * so of two concurrent claims the second sees the first's lease.
   */
  private async claim(notificationId: string): Promise<string | undefined> {
    const rows: Array<{ lease: string }> = await this.db.query(
      `INSERT INTO webhook_deliveries (notification_id, attempts, lease_until)
       VALUES ($1, 0, clock_timestamp() + make_interval(secs => $2))
       ON CONFLICT (notification_id) DO UPDATE SET lease_until = EXCLUDED.lease_until
        WHERE webhook_deliveries.delivered_at IS NULL
          AND (webhook_deliveries.lease_until IS NULL OR webhook_deliveries.lease_until < clock_timestamp())
       RETURNING lease_until::text AS lease`,
      [notificationId, DELIVERY_LEASE_MS / 1000],
    );
    return rows[0]?.lease;
  }

  private async isDelivered(notificationId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM webhook_deliveries WHERE notification_id = $1 AND delivered_at IS NOT NULL`,
      [notificationId],
    );
    return rows.length > 0;
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
