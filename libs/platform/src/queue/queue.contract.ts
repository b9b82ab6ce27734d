/**
 * The one contract between producers (through the outbox) and the worker's processors:
 * queue names, job names and the payload of each job. Payloads carry ids only; whatever a
 * handler needs beyond ids it reads from PostgreSQL, so nothing personal ever sits in Redis.
 */
export interface JobPayloads {
  routing: {
    /** Pick an assignee for a new or declined case, or leave it in its service's pool. */
    'route-case': { caseId: string };
  };
  legal: {
    /** Tell the lawyer a case is theirs (an in-app notification). */
    'notify-assignee': { caseId: string; assigneeId: string };
    /** A follow-up's day has come (a timer): tell the case's assignee to call back. */
    'follow-up-due': { followUpId: string };
  };
  psych: {
    /** Tell the psychologist a case is theirs. */
    'notify-assignee': { caseId: string; assigneeId: string };
    /** A follow-up's day has come (a timer): tell the case's assignee to call back. */
    'follow-up-due': { followUpId: string };
  };
  emergency: {
    /** Page the on-shift responders of one tier, in one round of a case's climb. */
    'page-responders': { caseId: string; tier: number; round: number };
    /** The SLA clock of one page ran out: if nobody acknowledged, climb to the next tier. */
    'check-ack': { caseId: string; tier: number; round: number };
    /** POST one notification's signed webhook to its recipient's own endpoint. */
    'deliver-webhook': { notificationId: string };
  };
  maintenance: {
    /** Destroy what has outlived its retention: finished outbox rows, dead sessions. */
    'retention-sweep': Record<string, never>;
    /** Forget which volunteer logged the contacts whose volunteer window has passed. */
    'volunteer-link-expiry': Record<string, never>;
    /** Bring the statistics rollups up to date with new contacts and withdrawn consents. */
    'stats-rollup': Record<string, never>;
    /** Rebuild the statistics rollups from scratch (nightly), correcting any drift. */
    'stats-rebuild': Record<string, never>;
    /** Send the verified head of the audit chain to the outside witness (AUDIT_WITNESS_URL). */
    'audit-witness': Record<string, never>;
    /**
     * Key rotation's schedule: rotate when the master key is KEY_ROTATION_DAYS old, finish a
     * rotation cut short, destroy retired keys that are due.
     */
    'key-maintenance': Record<string, never>;
    /** Seal the exact times of closed cases (and of what hangs off them), leaving the day. */
    'seal-case-times': Record<string, never>;
    /** Rewrite the day's rows about calls so that their transaction ids no longer date them. */
    'restamp-rows': Record<string, never>;
    /** Apply the consent withdrawals coordinators confirmed, once their 24 h have passed. */
    'apply-withdrawals': Record<string, never>;
  };
}

export type QueueName = keyof JobPayloads;
export type JobName<Q extends QueueName> = keyof JobPayloads[Q] & string;
export type JobPayload<Q extends QueueName, J extends JobName<Q>> = JobPayloads[Q][J];

/** The same contract at run time; TypeScript makes it list every job of every queue. */
export const JOB_NAMES: { readonly [Q in QueueName]: Readonly<Record<JobName<Q>, true>> } = {
  routing: { 'route-case': true },
  legal: { 'notify-assignee': true, 'follow-up-due': true },
  psych: { 'notify-assignee': true, 'follow-up-due': true },
  emergency: { 'page-responders': true, 'check-ack': true, 'deliver-webhook': true },
  maintenance: {
    'retention-sweep': true,
    'volunteer-link-expiry': true,
    'stats-rollup': true,
    'stats-rebuild': true,
    'audit-witness': true,
    'key-maintenance': true,
    'seal-case-times': true,
    'restamp-rows': true,
    'apply-withdrawals': true,
  },
};

export const QUEUE_NAMES = Object.keys(JOB_NAMES) as QueueName[];

/**
 * Where each logical queue's jobs travel. A BullMQ queue's name, its keys in Redis and the
 * outbox row's `queue` column are the physical queue: every kind of case work shares 'cases',
 * so neither the table nor Redis says whether a job routes a case, tells a lawyer or a
 * psychologist, or pages the emergency responders. Maintenance touches no case and keeps its
 * own queue, so a long rebuild never holds up case work.
 */
export const PHYSICAL_QUEUE_OF = {
  routing: 'cases',
  legal: 'cases',
  psych: 'cases',
  emergency: 'cases',
  maintenance: 'maintenance',
} as const satisfies { readonly [Q in QueueName]: string };

export type PhysicalQueue = (typeof PHYSICAL_QUEUE_OF)[QueueName];
export const PHYSICAL_QUEUE_NAMES: readonly PhysicalQueue[] = [
  ...new Set(Object.values(PHYSICAL_QUEUE_OF)),
];
/** The logical queues whose jobs travel on physical queue `P`. */
export type QueuesOn<P extends PhysicalQueue> = {
  [Q in QueueName]: (typeof PHYSICAL_QUEUE_OF)[Q] extends P ? Q : never;
}[QueueName];

/**
 * BullMQ priority of a logical queue's jobs on its physical queue. BullMQ takes jobs without
 * a priority (0) before any prioritized one, so an emergency page or SLA check never waits
 * behind a burst of routing on the shared queue; the rest share one priority (a distinct one
 * for legal and psych would only tell them apart in Redis).
 */
export const JOB_PRIORITY: { readonly [Q in QueueName]: number } = {
  emergency: 0,
  routing: 1,
  legal: 1,
  psych: 1,
  // A queue of its own: nothing to go ahead of.
  maintenance: 0,
};

/**
 * How a logical queue's jobs share a worker process with the rest (UrgentWork): emergency
 * work is urgent; maintenance is background, which waits (bounded) while urgent work runs;
 * the rest simply run.
 */
export const JOB_URGENCY: { readonly [Q in QueueName]: 'urgent' | 'normal' | 'background' } = {
  emergency: 'urgent',
  routing: 'normal',
  legal: 'normal',
  psych: 'normal',
  maintenance: 'background',
};

/** The BullMQ name of every sealed job: what it is, only its sealed data says. */
export const SEALED_JOB_NAME = 'job';

export interface JobContext {
  jobId: string;
  /** 0 on the first attempt. */
  attemptsMade: number;
}

/**
 * What a handler answers when its own transaction deleted its job's outbox row (`outboxDone`,
 * with `context.jobId`): the worker then marks nothing done. Any other answer, and the worker
 * deletes the row after the handler returns.
 */
export const JOB_SETTLED = 'settled' as const;

/** What a processor must provide: one handler for every job name of its queue. */
export type JobHandlers<Q extends QueueName> = {
  readonly [J in JobName<Q>]: (
    payload: JobPayload<Q, J>,
    context: JobContext,
  ) => Promise<void | typeof JOB_SETTLED>;
};

/** One job of the contract, as written to the outbox: every (queue, name, payload) combination. */
export type OutboxJob = {
  [Q in QueueName]: {
    [J in JobName<Q>]: {
      queue: Q;
      name: J;
      payload: JobPayload<Q, J>;
      /** A timer: not before this moment. */ runAt?: Date;
      /** A job that must exist once (a timer, a page, a rollup window): also its BullMQ id. */
      key?: string;
    };
  }[JobName<Q>];
}[QueueName];

/** Builds an outbox job with its payload checked against the contract. */
export function job<Q extends QueueName, J extends JobName<Q>>(
  queue: Q,
  name: J,
  payload: JobPayload<Q, J>,
  runAt?: Date,
  key?: string,
): OutboxJob {
  return { queue, name, payload, runAt, key } as OutboxJob;
}

/**
 * The statistics rollup job, shared by a few seconds of changes: every intake or withdrawal in
 * the same window writes the same job key, so a burst makes one job, run just after the
 * window closes.
 */
export function statsRollupJob(now = Date.now(), windowSeconds = 5): OutboxJob {
  const window = Math.floor(now / 1000 / windowSeconds);
  return job(
    'maintenance',
    'stats-rollup',
    {},
    new Date((window + 1) * windowSeconds * 1000 + 500),
    `stats-rollup-${window}`,
  );
}

/**
 * The job id of an outbox row; deterministic, so a re-send is a no-op while the job exists.
 * (`outbox-<id>` rather than `outbox:<id>`: BullMQ reserves ':' in custom job ids.)
 */
export const outboxJobId = (outboxId: string | number): string => `outbox-${outboxId}`;

export function outboxIdOf(jobId: string | undefined): string | undefined {
  const match = /^outbox-(\d+)$/.exec(jobId ?? '');
  return match?.[1];
}
