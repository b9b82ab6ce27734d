import { JobsOptions } from 'bullmq';

/**
 * Retries with backoff. A finished job is removed at once: its record holds the case's id
 * beside the times it was queued, run and finished, which a seizure of Redis would join with
 * the telephone records (issue 11). Nothing needs it: the outbox row is marked done by the
 * handler, and a row still 'sent' whose job is gone is sent again by the sweeper, which
 * handlers tolerate (they check state before acting).
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3_600 },
};

/**
 * Worker settings for every processor. Jobs here take milliseconds, so a job whose worker
 * died (SIGKILL, OOM) is found stalled and handed to another worker within seconds rather
 * than BullMQ's default half minute. A job falsely thought stalled (an event loop blocked
 * for 5 s) runs twice, which handlers tolerate: they check state before acting.
 */
export const WORKER_OPTIONS = {
  lockDuration: 5_000,
  stalledInterval: 5_000,
  maxStalledCount: 10,
  // An idle worker long-polls Redis for at most this many seconds (BullMQ's default is 5).
  // A delayed job (an SLA timer) is announced to one worker only; if that worker dies, the
  // others notice the timer at their next poll, so this bounds how late it can fire then.
  // (Case jobs: the others stand by and do not poll; the leader's death hands its lock on
  // within a second, and a leader that hangs is found by its overdue timers: Standby.)
  drainDelay: 0.25,
} as const;
