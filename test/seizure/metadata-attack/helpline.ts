import { Writable } from 'node:stream';
import { INestApplicationContext } from '@nestjs/common';
import { Actor, Role } from '@mayak/identity';
import { CaseLifecycleService, CaseTimeSealer } from '@mayak/cases';
import { VolunteerLinkExpiry } from '@mayak/contacts';
import { EmergencyActionsService, RotaService, Tier } from '@mayak/emergency';
import { IntakeReceipt, IntakeService, NewContact } from '@mayak/intake';
import { createLogger, ExactTimes, PHYSICAL_QUEUE_NAMES } from '@mayak/platform';
import { Queue } from 'bullmq';
import { RetentionService } from '@mayak/retention';
import { StaffAvailabilityService } from '@mayak/staffing';
import { StatsRollupService } from '@mayak/statistics';
import {
  createUser,
  OutboxReader,
  RunningApi,
  startApi,
  startWorker,
  TestEnvironment,
} from '@mayak/testing';
import { Call } from './population';
import { ClockWarp } from './clock-warp';

/** What the helpline's own system said when each call was logged: the true ids. */
export interface LoggedCall {
  call: Call;
  receipt: IntakeReceipt;
  volunteerId: string;
}

export interface HelplineRun {
  logged: LoggedCall[];
  /** Every line the API and the worker logged, at the production level (info). */
  appLogs: string[];
  warp: ClockWarp;
  seconds: number;
  /** What the specialists and responders did during the period. */
  work: Casework['done'];
}

const VOLUNTEERS = 12;
const SHIFT_HOURS = 8;
/** Who is on call for emergencies, per tier (tier 3: coordinators on duty). */
const ON_CALL: Record<Tier, number> = { 1: 3, 2: 1, 3: 1 };

/**
 * Runs the helpline through the study period, call by call, through the real application:
 * the API's IntakeService (caller recognition by keyed hash, encryption, consent, cases,
 * audit, outbox, exactly as `POST /api/contacts` writes them) and the real worker (relay,
 * routing, notifications, statistics rollups), so that every table, log and queue holds
 * what it would hold for real.
 *
 * Time: the calls span weeks, the run a few minutes. Calls are logged in the order they
 * happened, one at a time, so everything the intake wrote for a call falls in that call's own
 * slot of real time. The ClockWarp then maps each slot to the moment the call was logged in
 * the study period (the call's end plus the minute or few a volunteer takes to finish the
 * form), as the server's clock would have read it. Nothing of the compressed run is left for
 * the attacker to notice.
 *
 * The worker runs beside the intake and takes some 20–50 ms of real time to route a case, by
 * which time a few more calls have been logged: what it writes (assignment times,
 * notifications, pages) lands in a later call's slot, tens of minutes of the period late.
 * That blunts those times as join keys; the intake's own times (the contact, its consent,
 * case, audit entry and outbox rows) are exact. With `settleWorker` each call waits for the
 * worker instead, so its times are exact too, at a quarter of the speed.
 */
export async function runHelpline(
  env: TestEnvironment,
  calls: readonly Call[],
  period: { from: Date; until: Date },
  /** Wait for the worker after each call that raised a case (slower; see above). */
  settleWorker = false,
): Promise<HelplineRun> {
  const started = Date.now();
  // Accounts and shifts were set up a week before the period began.
  const warp = await ClockWarp.start(env, new Date(period.from.getTime() - 7 * 86_400_000));
  const appLogs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) appLogs.push(line);
      done();
    },
  });
  const api: RunningApi = await startApi(env, createLogger('api', 'info', sink));
  let worker: INestApplicationContext | undefined;
  try {
    worker = await startWorker(env, createLogger('worker', 'info', sink));
    // Open work writes the day into its columns and seals the exact time, both by the
    // application's clock at the write: the warp cannot move them afterwards, so the
    // application stamps by the period's clock from the start (the day columns then hold the
    // period's days, as a real server's would).
    for (const app of [api.app, worker])
      Object.assign(app.get(ExactTimes), { clock: { now: () => warp.now() } });
    const volunteers = await Promise.all(
      Array.from({ length: VOLUNTEERS }, () => createUser(api.app, ['volunteer'])),
    );
    const staff = new Map<string, Role>();
    for (const id of await putStaffOnShift(api.app, 'lawyer', 8)) staff.set(id, 'lawyer');
    for (const id of await putStaffOnShift(api.app, 'psychologist', 6))
      staff.set(id, 'psychologist');
    for (const [id, role] of await putRespondersOnCall(api.app, period)) staff.set(id, role);
    const intake = api.app.get(IntakeService);
    const casework = new Casework(
      env,
      api.app.get(CaseLifecycleService),
      api.app.get(EmergencyActionsService),
      staff,
    );
    const logged: LoggedCall[] = [];
    let previousLoggedAt = 0;
    for (const call of calls) {
      const loggedAt = Math.max(
        previousLoggedAt + 1_000,
        call.startedAt.getTime() + call.durationSeconds * 1000 + volunteerLag(call),
      );
      // The specialists' work on earlier cases, at the moments it happened.
      previousLoggedAt = await casework.closeDue(loggedAt, warp, previousLoggedAt);
      previousLoggedAt = Math.max(previousLoggedAt + 1_000, loggedAt);
      await warp.slot(new Date(previousLoggedAt));
      const shift = Math.floor(call.startedAt.getTime() / (SHIFT_HOURS * 3_600_000));
      const volunteer = volunteers[shift % VOLUNTEERS];
      const actor: Actor = { userId: volunteer.id, roles: ['volunteer'] };
      const receipt = await intake.log(actor, newContact(call), `call-${call.index}`);
      logged.push({ call, receipt, volunteerId: volunteer.id });
      casework.schedule(call, receipt, previousLoggedAt);
      // A page goes out within a second of the intake; the responder answers it minutes
      // later, so its time must be the page's own, not a later call's (see Casework).
      await casework.awaitPage(call, receipt, warp);
      if (settleWorker && receipt.caseIds.length > 0) await workerSettled(env);
    }
    // What falls between the last call and the period's end happens too.
    previousLoggedAt = await casework.closeDue(period.until.getTime(), warp, previousLoggedAt);
    await workerSettled(env);
    await warp.slot(new Date(previousLoggedAt + 60_000));
    await worker.get(CaseTimeSealer).sealClosed();
    // The nightly rebuild, as the last night of the period would have run it.
    await warp.slot(new Date(previousLoggedAt + 3_600_000));
    await worker.get(StatsRollupService).full();
    await warp.end();
    return {
      logged,
      appLogs,
      warp,
      seconds: (Date.now() - started) / 1000,
      work: casework.done,
    };
  } finally {
    await worker?.close();
    await api.close();
  }
}

function newContact(call: Call): NewContact {
  const scopes = [
    ...(call.statistics ? ['statistics'] : []),
    ...(call.contactBack ? ['contact_back'] : []),
    ...call.services.map((s) => `service:${s}`),
  ];
  return {
    channel: call.channel,
    startedAt: call.startedAt,
    durationSeconds: call.durationSeconds,
    region: call.region,
    caller: {
      pseudonym: `caller ${call.caller.index}`,
      ...(call.caller.ageBand ? { ageBand: call.caller.ageBand } : {}),
      ...(call.caller.genderIdentity ? { genderIdentity: call.caller.genderIdentity } : {}),
      ...(call.caller.orientation ? { orientation: call.caller.orientation } : {}),
      ...(call.identified ? { identifier: call.caller.phone } : {}),
    },
    topics: call.topics,
    immediateRisk: call.immediateRisk,
    summary: call.summary,
    outcome: call.outcome,
    consent: {
      scopes,
      textVersion: '2026-01',
      retentionDays: 365,
      ...(call.contactBack ? { contactBack: { channel: 'phone', safeTimes: 'evenings' } } : {}),
    },
    services: call.services.filter((s) => s !== 'emergency'),
  } as NewContact;
}

/** A volunteer finishes the form a minute or a few after the caller hangs up. */
function volunteerLag(call: Call): number {
  return 30_000 + ((call.index * 7919) % 240) * 1000;
}

async function putStaffOnShift(
  app: INestApplicationContext,
  role: Role,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const user = await createUser(app, [role]);
    await app.get(StaffAvailabilityService).set({ userId: user.id, roles: [role] }, 'me', {
      onShift: true,
      capacity: 1000,
      regions: [],
    });
    ids.push(user.id);
  }
  return ids;
}

/**
 * The on-call rota: responders at tiers 1 and 2 and a coordinator at tier 3, each with one
 * shift over the whole period. The pager reads the rota by the real clock of the compressed
 * run, so the shifts run on past today; shifts of a few hours each would page the same people.
 */
async function putRespondersOnCall(
  app: INestApplicationContext,
  period: { from: Date; until: Date },
): Promise<Array<[string, Role]>> {
  const coordinator = await createUser(app, ['coordinator']);
  const rota = app.get(RotaService);
  const manager: Actor = { userId: coordinator.id, roles: ['coordinator'] };
  const people: Array<[string, Role]> = [];
  for (const tier of [1, 2, 3] as const)
    for (let i = 0; i < ON_CALL[tier]; i++) {
      const role: Role = tier === 3 ? 'coordinator' : 'responder';
      const user = await createUser(app, [role]);
      await rota.addShift(manager, {
        userId: user.id,
        tier,
        startsAt: new Date(period.from.getTime() - 7 * 86_400_000),
        endsAt: new Date(Date.now() + 7 * 86_400_000),
      });
      people.push([user.id, role]);
    }
  return people;
}

/**
 * The worker's periodic maintenance, run once the warp has put every time where the period's
 * clock had it: the seizure comes two days after the period's last call (see
 * metadata-attack.ts), and by then the minutely and hourly jobs have run: the volunteers'
 * windows have ended, finished outbox rows are gone, retention has swept. (During the
 * compressed run itself their schedules never come round, and they would judge ages by the
 * real clock.)
 */
export async function afterThePeriod(env: TestEnvironment): Promise<void> {
  const worker = await startWorker(env, createLogger('worker', 'warn'));
  try {
    await timersRunOut(env);
    await worker.get(CaseTimeSealer).sealClosed();
    await worker.get(VolunteerLinkExpiry).forgetExpired();
    await worker.get(RetentionService).sweep();
  } finally {
    await worker.close();
  }
}

/**
 * The run is compressed, the timers are not: an SLA timer set at a page waits its five real
 * minutes in Redis, so at the end of the run the timers of most of the period's emergencies
 * would still be waiting, each with its page's time. Two days after the period every one of
 * them has long fired. Their time is made to have come (BullMQ's promote) and the worker
 * runs them, as it would have, before anything is seized.
 */
async function timersRunOut(env: TestEnvironment): Promise<void> {
  // Case work only: the maintenance queue's repeatable jobs wait for their next run forever.
  const queues = PHYSICAL_QUEUE_NAMES.filter((name) => name !== 'maintenance').map(
    (name) =>
      new Queue(name, {
        connection: { url: env.config.REDIS_URL, maxRetriesPerRequest: null },
        prefix: env.config.QUEUE_PREFIX,
      }),
  );
  try {
    const deadline = Date.now() + 600_000;
    for (;;) {
      await Promise.all(queues.map((q) => q.promoteJobs()));
      const counts = await Promise.all(
        queues.map((q) => q.getJobCounts('waiting', 'delayed', 'active', 'prioritized')),
      );
      const left = counts.reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
      const [{ unsent }] = (await env.db.query(
        `SELECT count(*)::int AS unsent FROM outbox WHERE status IN ('pending', 'sent')`,
      )) as Array<{ unsent: number }>;
      if (left === 0 && unsent === 0) return;
      if (Date.now() > deadline)
        throw new Error(`timers still waiting after 10 minutes: ${left} jobs, ${unsent} rows`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
}

/** How long a specialist works a case before closing it, in days, by service. */
const WORK_DAYS: Record<string, [number, number]> = { legal: [2, 30], psych: [1, 21] };
/** How long the paged responder takes to acknowledge an emergency, in minutes. */
const ACK_MINUTES: [number, number] = [1, 10];
/** How long an acknowledged emergency stays open, in hours. */
const EMERGENCY_HOURS: [number, number] = [2, 72];

type Task = { at: number; caseId: string; kind: 'close' | 'acknowledge'; call: Call };

/**
 * The specialists' side of the helpline: each legal or psychological case is closed by its
 * assignee some days after it was opened (uniform in WORK_DAYS, fixed by the call), at that
 * moment of the period, through the real lifecycle service. An emergency is acknowledged by
 * one of the responders it paged ACK_MINUTES after the page, through the real
 * EmergencyActionsService, and closed by them EMERGENCY_HOURS later. Whatever falls due after
 * the period ends is still undone at the seizure, as it would be.
 */
class Casework {
  private due: Task[] = [];
  readonly done = { paged: 0, acknowledged: 0, emergenciesClosed: 0, casesClosed: 0 };

  constructor(
    private readonly env: TestEnvironment,
    private readonly lifecycle: CaseLifecycleService,
    private readonly emergencies: EmergencyActionsService,
    private readonly staff: ReadonlyMap<string, Role>,
  ) {}

  schedule(call: Call, receipt: IntakeReceipt, loggedAt: number): void {
    receipt.caseIds.forEach((caseId, n) => {
      const service = call.services.filter((s) => s !== 'emergency')[n];
      const days = WORK_DAYS[service ?? ''];
      if (!days) return;
      this.add({ at: loggedAt + between(days, call, n) * 86_400_000, caseId, kind: 'close', call });
    });
  }

  /**
   * The intake opens an emergency case last (after the services asked for). Waits until the
   * worker has paged tier 1 for it, and schedules the acknowledgement ACK_MINUTES after the
   * page's moment in the period.
   */
  async awaitPage(call: Call, receipt: IntakeReceipt, warp: ClockWarp): Promise<void> {
    if (!call.services.includes('emergency')) return;
    const caseId = receipt.caseIds[call.services.filter((s) => s !== 'emergency').length];
    if (!caseId) return;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [page] = (await this.env.db.query(
        `SELECT paged_at FROM emergency_pages WHERE case_id = $1 ORDER BY paged_at LIMIT 1`,
        [caseId],
      )) as Array<{ paged_at: Date }>;
      if (page) {
        const pagedAt = warp.during(page.paged_at.getTime());
        const minutes = between(ACK_MINUTES, call, 7);
        this.add({ at: pagedAt + minutes * 60_000, caseId, kind: 'acknowledge', call });
        this.done.paged++;
        return;
      }
      if (Date.now() > deadline) throw new Error(`no page for emergency ${caseId}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Does every task due before `until`, each in its own slot; returns the last slot used. */
  async closeDue(until: number, warp: ClockWarp, last: number): Promise<number> {
    while (this.due.length > 0 && this.due[0].at < until) {
      const task = this.due.shift()!;
      const [row] = (await this.env.db.query(
        `SELECT c.assignee_id, c.status, c.service, c.acknowledged_at,
                (SELECT recipients FROM emergency_pages p WHERE p.case_id = c.id
                  ORDER BY paged_at DESC LIMIT 1) AS recipients
           FROM cases c WHERE c.id = $1`,
        [task.caseId],
      )) as Array<{
        assignee_id: string | null;
        status: string;
        service: string;
        acknowledged_at: Date | null;
        recipients: string[] | null;
      }>;
      if (!row) continue;
      if (task.kind === 'acknowledge') {
        if (row.service !== 'emergency') throw new Error(`${task.caseId} is no emergency`);
        const paged = (row.recipients ?? []).filter((id) => this.staff.has(id));
        if (row.acknowledged_at || row.status === 'closed' || paged.length === 0) continue;
        const responder = paged[task.call.index % paged.length];
        last = Math.max(last + 1_000, task.at);
        await warp.slot(new Date(last));
        await this.emergencies.acknowledge(
          { userId: responder, roles: [this.staff.get(responder)!] },
          task.caseId,
        );
        this.done.acknowledged++;
        const hours = between(EMERGENCY_HOURS, task.call, 11);
        this.add({ ...task, at: last + hours * 3_600_000, kind: 'close' });
        continue;
      }
      const role = row.assignee_id ? this.staff.get(row.assignee_id) : undefined;
      if (!role || (row.status !== 'assigned' && row.status !== 'in_progress')) continue;
      last = Math.max(last + 1_000, task.at);
      await warp.slot(new Date(last));
      await this.lifecycle.close(
        { userId: row.assignee_id!, roles: [role] },
        task.caseId,
        'resolved',
      );
      if (row.service === 'emergency') this.done.emergenciesClosed++;
      else this.done.casesClosed++;
    }
    return last;
  }

  private add(task: Task): void {
    let i = this.due.length;
    while (i > 0 && this.due[i - 1].at > task.at) i--;
    this.due.splice(i, 0, task);
  }
}

/** A point in [from, to], fixed by the call (and a salt), spread evenly over the calls. */
function between([from, to]: [number, number], call: Call, salt: number): number {
  const fraction = ((call.index * 7_919 + salt * 104_729) % 1_000) / 1_000;
  return from + fraction * (to - from);
}

/** Until the worker has relayed and handled every job written so far. */
async function workerSettled(env: TestEnvironment): Promise<void> {
  const deadline = Date.now() + 30_000;
  const outbox = OutboxReader.of(env);
  for (;;) {
    // A timer's due time is sealed: the rows are opened to leave out those not yet due.
    const pending = (await outbox.unfinishedDueBy(new Date(), { waiting: true })).length;
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`the worker left ${pending} outbox rows unhandled`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
