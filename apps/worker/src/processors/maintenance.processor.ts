import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AuditWitness } from '@mayak/audit';
import { VolunteerLinkExpiry } from '@mayak/contacts';
import { CaseTimeSealer } from '@mayak/cases';
import { PendingWithdrawals } from '@mayak/consent';
import { KeyRotation } from '@mayak/custody';
import { AppConfig, JobHandlers, QueueProcessor } from '@mayak/platform';
import { RetentionService, RowRestamp } from '@mayak/retention';
import { StatsRollupService } from '@mayak/statistics';
import { Queue } from 'bullmq';

@Injectable()
export class MaintenanceProcessor
  extends QueueProcessor<'maintenance'>
  implements OnApplicationBootstrap, OnModuleDestroy
{
  readonly queueName = 'maintenance';
  readonly handlers: JobHandlers<'maintenance'> = {
    'retention-sweep': async () => {
      await this.retention.sweep();
    },
    'volunteer-link-expiry': async () => {
      await this.volunteerLinks.forgetExpired();
    },
    'stats-rollup': async () => {
      // Not behind a running build, holding a connection: it or the next one covers this.
      await this.stats.incremental({ ifIdle: true });
    },
    'stats-rebuild': async () => {
      await this.stats.full();
    },
    'audit-witness': async () => {
      // A broken chain is logged, not retried: sending again would not mend it.
      await this.witness.witness();
    },
    'seal-case-times': async () => {
      await this.caseTimes.sealClosed();
    },
    'key-maintenance': async () => {
      await this.rotation.maintain();
    },
    'restamp-rows': async () => {
      await this.restamp.pass();
    },
    'apply-withdrawals': async () => {
      await this.withdrawals.applyDue();
    },
  };

  private recheck?: NodeJS.Timeout;

  constructor(
    private readonly retention: RetentionService,
    private readonly volunteerLinks: VolunteerLinkExpiry,
    private readonly stats: StatsRollupService,
    private readonly witness: AuditWitness,
    private readonly rotation: KeyRotation,
    private readonly caseTimes: CaseTimeSealer,
    private readonly restamp: RowRestamp,
    private readonly withdrawals: PendingWithdrawals,
    private readonly config: AppConfig,
    @InjectQueue('maintenance') private readonly queue: Queue,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    if (!SCHEDULES(this.config).some(([name]) => name === 'audit-witness'))
      // The witness was turned off (or its interval set to 0) since a worker scheduled it.
      void this.queue.removeJobScheduler('audit-witness').catch(() => undefined);
    for (const [name, repeat] of SCHEDULES(this.config))
      void this.queue
        .upsertJobScheduler(name, repeat, { name, data: {} })
        .catch(() =>
          this.logger.warn({ schedule: name }, 'could not schedule; Redis is unavailable'),
        );
    // The schedules live in Redis: if it loses its data (FLUSHALL, a restart without its
    // append-only file) they are gone, and retention would never run again. Put back any
    // that is missing; an existing one is left alone, so its timing is not disturbed.
    this.recheck = setInterval(() => void this.restoreMissing(), SCHEDULE_CHECK_MS);
    this.recheck.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.recheck);
  }

  private async restoreMissing(): Promise<void> {
    for (const [name, repeat] of SCHEDULES(this.config)) {
      try {
        if (await this.queue.getJobScheduler(name)) continue;
        await this.queue.upsertJobScheduler(name, repeat, { name, data: {} });
        this.logger.warn({ schedule: name }, 'schedule was missing from Redis; restored');
      } catch {
        return; // Redis is away; the next check tries again
      }
    }
  }
}

const SCHEDULE_CHECK_MS = 10_000;

/**
 * Idempotent: every worker upserts the same schedules. The minutely rollup catches any
 * change whose own rollup job ran before it committed; the nightly rebuild, any drift.
 */
type Schedule = [string, { every: number } | { pattern: string; tz: string }];

const SCHEDULES = (config: AppConfig): Schedule[] => [
  ['retention-sweep', { every: 3_600_000 }],
  // A volunteer's link to a contact goes within a minute of their window's end.
  ['volunteer-link-expiry', { every: 60_000 }],
  ['key-maintenance', { every: 3_600_000 }],
  // A closed case's exact times are sealed within a minute.
  ['seal-case-times', { every: 60_000 }],
  ['stats-rollup', { every: 60_000 }],
  // Rows about calls carry their writer's transaction id: hourly, the day's rows share one.
  ['restamp-rows', { every: 3_600_000 }],
  // A confirmed withdrawal is applied within a minute of its 24 h.
  ['apply-withdrawals', { every: 60_000 }],
  ['stats-rebuild', { pattern: '0 3 * * *', tz: config.STATS_TIMEZONE }],
  ...(config.AUDIT_WITNESS_URL && config.AUDIT_WITNESS_INTERVAL_MINUTES > 0
    ? [['audit-witness', { every: config.AUDIT_WITNESS_INTERVAL_MINUTES * 60_000 }] as Schedule]
    : []),
];
