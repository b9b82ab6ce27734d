export * from './audit-chain';
export * from './audit-chainer.service';
export * from './audit-event';
export * from './audit-reference';
export * from './audit-trail.service';
export * from './audit-verifier.service';
export * from './audit-witness.service';
export * from './audit.module';
