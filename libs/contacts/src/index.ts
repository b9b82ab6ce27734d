export * from './caller-registry.service';
export * from './contact-records.service';
export * from './contacts.exception';
export * from './contacts.module';
export * from './volunteer-contacts.service';
export * from './volunteer-link-expiry.service';
