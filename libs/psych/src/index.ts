export * from './psych.module';
