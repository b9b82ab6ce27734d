import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue } from 'bullmq';
import { AppConfig } from '../config';
import { DEFAULT_JOB_OPTIONS } from './job-options';
import { PHYSICAL_QUEUE_NAMES } from './queue.contract';
import { redisTarget, workerConnection } from './redis-connection';

/** Registered queues report connection trouble through the worker; without a listener ioredis prints each one. */
@Injectable()
class QueueErrorSink implements OnModuleInit {
  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    for (const name of PHYSICAL_QUEUE_NAMES)
      this.moduleRef
        .get<Queue>(getQueueToken(name), { strict: false })
        .on('error', () => undefined);
  }
}

/** BullMQ for the worker: one registered queue per physical queue, worker-grade connections. */
@Module({})
export class WorkerQueuesModule {
  static forRoot(): DynamicModule {
    return {
      module: WorkerQueuesModule,
      imports: [
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            connection: workerConnection(redisTarget(config)),
            prefix: config.QUEUE_PREFIX,
            defaultJobOptions: DEFAULT_JOB_OPTIONS,
          }),
        }),
        BullModule.registerQueue(...PHYSICAL_QUEUE_NAMES.map((name) => ({ name }))),
      ],
      providers: [QueueErrorSink],
      exports: [BullModule],
    };
  }
}
