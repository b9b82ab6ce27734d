import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { JOB_NAMES, QUEUE_NAMES, QueueName, QueueProcessor } from '@mayak/platform';

/**
 * Refuses to start a worker that would leave jobs without a handler: every queue of the
 * contract needs a processor, and every job name a handler.
 */
@Injectable()
export class ProcessorCheck implements OnApplicationBootstrap {
  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    const processors = new Map<QueueName, QueueProcessor<QueueName>>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (instance instanceof QueueProcessor)
        processors.set(instance.queueName as QueueName, instance as QueueProcessor<QueueName>);
    }
    const missing: string[] = [];
    for (const queue of QUEUE_NAMES) {
      const processor = processors.get(queue);
      for (const name of Object.keys(JOB_NAMES[queue])) {
        if (
          !processor ||
          typeof (processor.handlers as Record<string, unknown>)[name] !== 'function'
        )
          missing.push(`${queue}/${name}`);
      }
    }
    if (missing.length > 0) throw new Error(`the worker has no handler for: ${missing.join(', ')}`);
  }
}
