import { ApiProperty } from '@nestjs/swagger';
import { NotificationType } from '@mayak/notifications';

/** Every notification type, checked against the union by the compiler: none missing, none extra. */
const TYPES: Record<NotificationType, true> = {
  emergency_page: true,
  case_assigned: true,
  follow_up_due: true,
  handover_offered: true,
  handover_refused: true,
  break_glass: true,
  sla_breached: true,
  lookup_burst: true,
  decline_burst: true,
  withdrawal_pending: true,
  withdrawal_burst: true,
  role_grant_pending: true,
  passkey_added: true,
};
export const NOTIFICATION_TYPES = Object.keys(TYPES) as NotificationType[];

/** What a notification says: a type, and the case or staff member it is about; never the caller. */
export class NotificationResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: NOTIFICATION_TYPES }) type!: NotificationType;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) caseId!: string | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The staff member a notification about conduct (a burst of lookups) is about',
  })
  aboutUserId!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) readAt!: Date | null;
}

export class WebhookResponse {
  @ApiProperty({ description: 'Where notifications are posted (404 when none is set)' })
  url!: string;
}
