import { Global, Injectable, Module } from '@nestjs/common';

/**
 * The time, as the application sees it. Anything with a deadline decided in code (break-glass
 * expiry, say) asks the Clock, so tests can move time without waiting an hour.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
