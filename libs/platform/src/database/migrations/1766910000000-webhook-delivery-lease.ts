import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A lease on each webhook delivery (WebhooksService.deliver): a delivery claims its
 * notification's row until `lease_until` before it sends, so two runs of one job (a job thought
 * stalled, or two workers) cannot both be sending; an expired lease (its worker died mid-send)
 * lets the next try go. The lease is cleared when the attempt is recorded, so no exact time
 * stays behind it but while a send is in flight (the row otherwise keeps only the day).
 */
export class WebhookDeliveryLease1766910000000 implements MigrationInterface {
  name = 'WebhookDeliveryLease1766910000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_deliveries ADD COLUMN lease_until timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE webhook_deliveries DROP COLUMN lease_until`);
  }
}
