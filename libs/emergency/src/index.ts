export * from './emergency-actions.service';
export * from './emergency.exception';
export * from './emergency.module';
export * from './paging.service';
export * from './rota.service';
