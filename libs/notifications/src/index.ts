export * from './notification-stream.service';
export * from './notifications.exception';
export * from './notifications.module';
export * from './notifications.service';
export * from './webhooks.service';
