export * from './access-control.service';
export * from './access.exception';
export * from './access.module';
export * from './capabilities';
export * from './case-policy';
export * from './case-policy.sql';
export * from './contact-policy';
export * from './scopes';
