export * from './notification-stream.service';
export * from './notifications.exception';
export * from './notifications.module';
export * from './notifications.service';
export * from './webhook-target';
export * from './webhook-url-sealing';
export * from './webhooks.service';
