// The rollout guard's read at scale: what rollout_tick reads for an active plan on every tick
// (public.rollout_signal_counts over the jobs finished since the step began) and what the
// rollout_status view adds (public.rollout_runtime_percentiles), on the 1,000,000-row qc_jobs.
// The step's window holds WINDOW_JOBS finished jobs of the kind a canary meets: most with a
// tenant (a few thousand tenants), some without (bucketed by their own id), some retried or
// failed, plus dead-lettered jobs and watchdog and refused-completion events in the same window.
import type { Sql } from "../../scripts/shared/database.ts";
import type { BenchContext } from "../lib/context.ts";
import type { BenchDatabase } from "../lib/databases.ts";
import { repeat } from "../lib/stats.ts";

const WINDOW_JOBS = 100_000;
const WINDOW_DEAD_LETTERS = 1_000;
const CANARY_PERCENTAGE = 5;
const BUCKET_GROUP = "BENCH_GUARD";
const JOB_TYPE = "bench.signals";

export interface RolloutWindow {
  since: Date;
  until: Date;
}

/** The step's window: an hour that ended an hour ago, clear of every other job the group writes. */
export async function loadRolloutWindow(sql: Sql): Promise<RolloutWindow> {
  const [window] = await sql`select date_trunc('second', now()) - interval '2 hours' as since,
                                    date_trunc('second', now()) - interval '1 hour' as until`;
  const since = window!.since as Date;
  const until = window!.until as Date;
  // Job n: a tenant of 3,000 for four jobs in five, none for the fifth; 1 in 50 failed for good,
  // 1 in 12 retried; started up to 2 minutes before it finished.
  await sql`
    insert into public.qc_jobs (job_type, status, payload, attempts, tenant_id, locked_by, started_at, finished_at, created_at)
    select ${JOB_TYPE}::text,
           case when n % 50 = 0 then 'failed' else 'completed' end,
           jsonb_build_object('n', n),
           case when n % 12 = 0 then 2 else 1 end,
           case when n % 5 <> 0 then 'tenant-' || (n * 7919 % 3000) end,
           'worker-' || (n % 32),
           f.at - (n % 120) * interval '1 second',
           f.at,
           f.at - interval '5 minutes'
    from generate_series(1, ${WINDOW_JOBS}::int) n
    cross join lateral (select ${since}::timestamptz + (n - 0.5) * (${until}::timestamptz - ${since}::timestamptz) / ${WINDOW_JOBS}::int as at) f`;
  // Jobs failed for good into the DLQ in the window: the job row kept as its snapshot.
  await sql`
    insert into public.job_dlq (job_id, job_type, payload, attempts, first_failed_at, last_failed_at, job_snapshot)
    select j.id, ${JOB_TYPE}::text, '{}', 3, j.at, j.at,
           jsonb_build_object('id', j.id, 'job_type', ${JOB_TYPE}::text, 'tenant_id', j.tenant, 'status', 'failed', 'attempts', 3)
    from (select gen_random_uuid() as id, case when n % 5 <> 0 then 'tenant-' || (n * 7919 % 3000) end as tenant,
                 ${since}::timestamptz + (n - 0.5) * (${until}::timestamptz - ${since}::timestamptz) / ${WINDOW_DEAD_LETTERS}::int as at
          from generate_series(1, ${WINDOW_DEAD_LETTERS}::int) n) j`;
  // One finished job in 100 rescued by the watchdog, one in 500 completed twice.
  await sql`
    insert into public.job_events (event, job_id, job_type, worker_id, attempt, reason, detail, at)
    select case when q.n % 500 = 0 then 'completion_refused' else 'watchdog_requeued' end,
           q.id::text, ${JOB_TYPE}::text, 'worker-dead', 1,
           case when q.n % 500 = 0 then 'running' else 'lease_expired' end,
           case when q.n % 500 = 0 then '{"held_by": "worker-new", "current_attempt": 2}'::jsonb else '{}'::jsonb end,
           q.finished_at - interval '30 seconds'
    from (select id, finished_at, row_number() over (order by finished_at) as n
          from public.qc_jobs where job_type = ${JOB_TYPE}::text) q
    where q.n % 100 = 0`;
  await sql.unsafe("vacuum analyze public.qc_jobs, public.job_dlq, public.job_events");
  return { since, until };
}

/** Times `runs` reads of each function over the window, checking each answer's totals. */
export async function timeRolloutReads(sql: Sql, runs: number, { since, until }: RolloutWindow): Promise<{ counts: number[]; runtimes: number[] }> {
  const finished = WINDOW_JOBS + WINDOW_DEAD_LETTERS;
  const counts = await repeat(runs, async () => {
    const started = performance.now();
    const rows = await sql`select * from public.rollout_signal_counts(${BUCKET_GROUP}, ${CANARY_PERCENTAGE}, ${since}, ${until})`;
    const ms = performance.now() - started;
    for (const row of rows) {
      const canary = Number(row.canary_jobs);
      if (canary + Number(row.control_jobs) !== finished || canary < finished * 0.02 || canary > finished * 0.1) {
        throw new Error(`rollout_signal_counts over ${finished} finished jobs at ${CANARY_PERCENTAGE} % answered ${JSON.stringify(row)}`);
      }
    }
    return ms;
  });
  const runtimes = await repeat(runs, async () => {
    const started = performance.now();
    const rows = await sql`select cohort, completed_jobs from public.rollout_runtime_percentiles(${BUCKET_GROUP}, ${CANARY_PERCENTAGE}, ${since}, ${until})`;
    const ms = performance.now() - started;
    const completed = rows.reduce((sum, r) => sum + Number(r.completed_jobs), 0);
    if (rows.length !== 2 || completed !== WINDOW_JOBS - WINDOW_JOBS / 50) throw new Error(`rollout_runtime_percentiles answered ${JSON.stringify(rows)}`);
    return ms;
  });
  return { counts, runtimes };
}

export async function measureRolloutSignals(context: BenchContext, database: BenchDatabase): Promise<void> {
  context.log("rollout guard's read");
  const window = await loadRolloutWindow(database.sql);
  const { counts, runtimes } = await timeRolloutReads(database.sql, context.settings.runs, window);
  const label = `${(WINDOW_JOBS + WINDOW_DEAD_LETTERS).toLocaleString("en-US")} jobs finished in the step's hour, canary at ${CANARY_PERCENTAGE} %`;
  context.book.add({ id: "db.rollout.signals", label: `rollout guard's read per tick: rollout_signal_counts (${label})`, unit: "ms", samples: counts });
  context.book.add({ id: "db.rollout.runtimes", label: `rollout_status's run times: rollout_runtime_percentiles (${label})`, unit: "ms", samples: runtimes });
}
