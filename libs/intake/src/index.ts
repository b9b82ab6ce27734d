export * from './intake.exception';
export * from './intake.module';
export * from './intake.service';
export * from './vocabulary';
