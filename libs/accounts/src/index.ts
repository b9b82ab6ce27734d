export * from './account-admin.service';
export * from './accounts.module';
