export * from './account-admin.service';
export * from './accounts.module';
export * from './accounts.exception';
export * from './role-grants.service';
