export * from './crypto.module';
export * from './envelope-cipher';
export * from './exact-times';
export * from './key-material';
export * from './keyed-hash';
export * from './key-ring';
export * from './webhook-signature';
export * from './sealing-pass';
