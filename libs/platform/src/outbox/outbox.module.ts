import { Global, Module } from '@nestjs/common';
import { OutboxSeal } from './outbox-seal';
import { OutboxLedger } from './outbox.ledger';
import { OutboxRelay } from './outbox.relay';
import { OutboxWriter } from './outbox.writer';

/** Writing jobs: every process that changes data. */
@Global()
@Module({ providers: [OutboxSeal, OutboxWriter], exports: [OutboxSeal, OutboxWriter] })
export class OutboxModule {}

/** Relaying and settling jobs: the worker. */
@Module({ providers: [OutboxRelay, OutboxLedger], exports: [OutboxRelay, OutboxLedger] })
export class OutboxRelayModule {}
