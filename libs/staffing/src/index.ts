export * from './staff-availability.service';
export * from './staffing.exception';
export * from './staffing.module';
