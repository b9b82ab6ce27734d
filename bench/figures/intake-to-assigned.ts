import { contactBodies } from '../core/contact-body';
import { Figure, measured, Target, unavailable } from '../core/figure';
import { runOpenLoad } from '../core/http-load';
import {
  caseIdsOf,
  casesTableMissing,
  explainingTimeouts,
  INTAKE,
  intakeMissing,
  routingJobMissing,
  staffOnShift,
} from '../core/mayak';
import { distribution, round } from '../core/percentiles';
import { waitUntil } from '../core/apps';

const P99: Target[] = [{ op: '<=', value: 100 }];

/**
 * From the 201 of an intake to the assignment of its case, at 200 intakes/s sent open loop
 * (runOpenLoad: each on schedule, whether or not earlier ones were answered; the rate
 * answered is reported beside the figure). The 201 is stamped when the bench
 * receives it; the assignment is cases.assigned_at (sealed beside its day), written by the worker. Both clocks are
 * this machine's.
 */
export const intakeToAssignedFigure: Figure = {
  id: 'intake-to-assigned',
  title: 'p50/p99 from the 201 to the assignment, at 200 intakes/s',
  names: [
    { name: 'intake_to_assigned.p50', unit: 'ms' },
    { name: 'intake_to_assigned.p99', unit: 'ms', targets: P99 },
  ],
  async run(ctx) {
    const { latencyRate: rate, latencySeconds: seconds } = ctx.options.sizes;
    const notYet = (why: string) =>
      this.names.map((n) => unavailable(n.name, n.unit, why, { targets: n.targets }));
    const noJob = routingJobMissing();
    if (noJob) return notYet(noJob);

    const stack = await ctx.stack.launch('latency', { api: true, worker: true });
    try {
      const accounts = await ctx.stack.accounts();
      const tokens = await Promise.all(accounts.volunteers.map((v) => stack.signIn(v)));
      const { bodies } = contactBodies(1_000);
      const expected = rate * seconds;
      const why =
        (await intakeMissing(stack, tokens[0], bodies)) ??
        (await casesTableMissing(stack)) ??
        (await staffOnShift(
          stack,
          accounts.lawyers,
          Math.ceil((expected * 1.2 + 10) / accounts.lawyers.length) + 1,
        ));
      if (why) return notYet(why);

      const answered = new Map<string, number>();
      ctx.log(`  ${rate} intakes/s for ${seconds} s`);
      const load = await runOpenLoad({
        baseUrl: stack.http.baseUrl,
        method: INTAKE.method,
        path: INTAKE.path,
        durationSeconds: seconds,
        rate,
        bodies,
        tokens,
        onResponse: (status, body, receivedAt) => {
          if (status === 201) for (const id of caseIdsOf(body)) answered.set(id, receivedAt);
        },
      });
      const ids = [...answered.keys()];
      if (ids.length === 0) throw new Error('no intake answered 201 with case ids');
      const assignedCount = async () =>
        Number(
          (
            await stack.db.query<{ n: string }>(
              `SELECT count(*) AS n FROM cases WHERE id::text = ANY($1) AND assigned_at IS NOT NULL`,
              [ids],
            )
          ).rows[0].n,
        );
      await explainingTimeouts(stack, { stop: () => 'not sampled' }, () =>
        waitUntil(
          `the ${ids.length} cases to be assigned`,
          async () => (await assignedCount()) === ids.length,
          { timeoutMs: 30_000, intervalMs: 200, process: stack.worker },
        ),
      );
      // assigned_at holds the day; the exact moment is sealed beside it (ExactTimes).
      const times = await stack.exactTimes();
      const rows = (
        await stack.db.query<{ id: string; day: Date; sealed: Buffer | null }>(
          `SELECT id::text AS id, assigned_at AS day, assigned_enc AS sealed
             FROM cases WHERE id::text = ANY($1)`,
          [ids],
        )
      ).rows.map((r) => ({
        id: r.id,
        at: times
          .open({ table: 'cases', id: r.id, column: 'assigned_at' }, r.sealed, r.day)
          .getTime(),
      }));
      // The worker may assign before the bench has read the 201: that is zero, not negative.
      let early = 0;
      const latencies = rows.map((r) => {
        const ms = r.at - (answered.get(r.id) ?? r.at);
        if (ms < 0) early++;
        return Math.max(0, ms);
      });
      const d = distribution(latencies);
      const note = `${d.count} cases at ${round(load.throughput)} intakes/s achieved (asked ${rate}); ${early} assigned before the 201 arrived; ${load.non2xx + load.errors} intake errors`;
      // Below the asked rate the figure is still worth having, but it is not the spec's.
      const warning =
        load.throughput < rate * 0.9
          ? `ran at ${round(load.throughput)} intakes/s, not ${rate}: intake could not keep up`
          : undefined;
      return [
        { ...measured('intake_to_assigned.p50', round(d.p50), 'ms', { note }), warning },
        {
          ...measured('intake_to_assigned.p99', round(d.p99), 'ms', { targets: P99, note }),
          warning,
        },
      ];
    } finally {
      await stack.stop();
    }
  },
};
