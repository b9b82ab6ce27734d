import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  MessageEvent,
  Post,
  Put,
  Sse,
} from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { Actor } from '@mayak/identity';
import {
  NotificationStream,
  NotificationsService,
  NotificationView,
  WebhooksService,
} from '@mayak/notifications';
import { endWith, ignoreElements, interval, map, merge, Observable, share, takeUntil } from 'rxjs';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';
import { NotificationResponse, WebhookResponse } from './notifications.dto';

export class WebhookRequest {
  @ApiProperty({
    example: 'https://bridge.example.org/mayak',
    description: 'https, or http to this machine only',
  })
  @IsString()
  @Length(8, 500)
  url!: string;

  @ApiProperty({
    minLength: 16,
    maxLength: 200,
    description: 'Shared secret for the HMAC-SHA256 signature; stored encrypted',
  })
  @IsString()
  @Length(16, 200, { message: 'secret must be 16 to 200 characters' })
  secret!: string;
}

/** Keeps proxies and browsers from closing an idle stream. */
const HEARTBEAT_MS = 25_000;

@ApiTags('notifications')
@Controller()
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly stream: NotificationStream,
    private readonly webhooks: WebhooksService,
  ) {}

  @Get('notifications')
  @ApiOkResponse({ type: [NotificationResponse] })
  list(@CurrentActor() actor: Actor): Promise<NotificationView[]> {
    return this.notifications.list(actor);
  }

  @Post('notifications/:id/read')
  @ApiOkResponse({ type: NotificationResponse })
  @HttpCode(200)
  read(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<NotificationView> {
    return this.notifications.markRead(actor, id);
  }

  /** Server-sent events: each new notification of the signed-in user, as it happens. */
  @Sse('notifications/stream')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'A stream of `notification` events (data: a notification) and heartbeats',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  live(@CurrentActor() actor: Actor): Observable<MessageEvent> {
    const notifications = this.stream.streamFor(actor).pipe(
      map((n): MessageEvent => ({ type: 'notification', id: n.id, data: n })),
      share(),
    );
    // The server ends the stream when it shuts down (NotificationStream completes it). The
    // heartbeat must end with it: a merge completes only when all its parts have, and a
    // response left open holds up the HTTP server's close until the shutdown deadline.
    const heartbeat = interval(HEARTBEAT_MS).pipe(
      map((): MessageEvent => ({ type: 'heartbeat', data: '' })),
      takeUntil(notifications.pipe(ignoreElements(), endWith(true))),
    );
    return merge(notifications, heartbeat);
  }

  @Get('staff/me/webhook')
  @ApiOkResponse({ type: WebhookResponse })
  getWebhook(@CurrentActor() actor: Actor): Promise<{ url: string }> {
    return this.webhooks.get(actor);
  }

  @Put('staff/me/webhook')
  @ApiOkResponse({ type: WebhookResponse })
  setWebhook(@CurrentActor() actor: Actor, @Body() body: WebhookRequest): Promise<{ url: string }> {
    return this.webhooks.set(actor, body);
  }

  @Delete('staff/me/webhook')
  @HttpCode(204)
  removeWebhook(@CurrentActor() actor: Actor): Promise<void> {
    return this.webhooks.remove(actor);
  }
}
