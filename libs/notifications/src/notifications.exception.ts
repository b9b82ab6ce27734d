import { DomainException } from '@mayak/platform';

export enum NotificationsError {
  /** The webhook address is not one we will send to. */
  BadWebhookUrl = 'bad_webhook_url',
}

export class NotificationsException extends DomainException<NotificationsError> {
  constructor(code: NotificationsError, message: string) {
    super(code, message, { url: [message] });
  }
}
