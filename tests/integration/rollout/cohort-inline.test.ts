// The guard's signal functions compute each job's cohort inline (migration 20261202170000,
// inline_rollout_cohort) instead of calling public.rollout_cohort and public.job_flag_subject per
// job: they must answer exactly as the definitions before it. Those definitions are installed here
// under other names, from the migration's own rollback, and both are read over the same jobs for
// many bucket groups, percentages and windows: jobs of several tenants, of an empty tenant and of
// none (bucketed by their id); completed, failed, cancelled and running; with and without a start;
// dead-lettered with a snapshot naming a tenant, naming none, or no snapshot at all; watchdog and
// operator rescues and refused completions, in and out of the window. The percentages include,
// for one tenant's bucket b, b / 100 and b / 100 +- 0.005 (where the threshold's rounding
// decides), 0 %, 100 %, values outside 0..100 and null; the bucket groups include null.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { listKitMigrations } from "../../../scripts/kit/kit-files.ts";
import { usePushedDatabase } from "../../support/pushed-database.ts";

const db = usePushedDatabase();

const T0 = "2026-11-10T00:00:00Z";
const JOBS = 600;
const DEAD_LETTERS = 60;

/** The functions as they were before 20261202170000, renamed with a _before suffix. */
function definitionsBefore(): string {
  const migration = listKitMigrations().find((m) => m.slug === "inline_rollout_cohort");
  if (!migration) throw new Error("no kit migration inline_rollout_cohort");
  return readFileSync(migration.files.rollback.path, "utf8")
    .replaceAll("rollout_signal_counts", "rollout_signal_counts_before")
    .replaceAll("rollout_runtime_percentiles", "rollout_runtime_percentiles_before");
}

beforeAll(async () => {
  const sql = db.sql;
  await sql.unsafe(definitionsBefore());
  // Job n finishes n minutes after T0 (running jobs have not finished).
  await sql.unsafe(`
    insert into public.qc_jobs (job_type, status, attempts, tenant_id, locked_by, started_at, finished_at)
    select 'cohort-inline',
           case n % 7 when 0 then 'failed' when 1 then 'cancelled' when 2 then 'running' else 'completed' end,
           1 + n % 3,
           case n % 6 when 0 then null when 1 then '' else 'tenant-' || (n % 23) end,
           'worker-' || (n % 4),
           case when n % 11 = 0 then null else f.at - (n % 97) * interval '1 second' end,
           case when n % 7 <> 2 then f.at end
    from generate_series(1, ${JOBS}) as n
    cross join lateral (select '${T0}'::timestamptz + n * interval '1 minute' as at) as f`);
  await sql.unsafe(`
    insert into public.job_dlq (job_id, job_type, payload, attempts, first_failed_at, last_failed_at, job_snapshot)
    select md5('dead-' || m)::uuid, 'cohort-inline', '{}', 1 + m % 3, f.at, f.at,
           case m % 4 when 0 then null
                      when 1 then jsonb_build_object('tenant_id', 'tenant-' || (m % 23), 'status', 'failed')
                      when 2 then jsonb_build_object('tenant_id', null, 'status', 'failed')
                      else jsonb_build_object('tenant_id', '', 'id', md5('other-' || m)::uuid) end
    from generate_series(1, ${DEAD_LETTERS}) as m
    cross join lateral (select '${T0}'::timestamptz + m * interval '10 minutes' - interval '30 seconds' as at) as f`);
  // Events a minute before the job finished, and some a day before the first window.
  await sql.unsafe(`
    insert into public.job_events (event, job_id, worker_id, attempt, reason, detail, at)
    select e.event, q.id::text, e.worker, 1, 'test', e.detail,
           case when q.n % 29 = 0 then '${T0}'::timestamptz - interval '1 day' else coalesce(q.finished_at, '${T0}'::timestamptz) - interval '1 minute' end
    from (select id, finished_at, row_number() over (order by finished_at nulls last, id) as n
          from public.qc_jobs where job_type = 'cohort-inline') as q
    cross join lateral (values
      ('watchdog_requeued', 'worker-dead', '{}'::jsonb, q.n % 5 = 0),
      ('ops_requeued', 'worker-stuck', '{}'::jsonb, q.n % 13 = 0),
      ('completion_refused', 'worker-old', '{"held_by": "worker-new", "current_attempt": 2}'::jsonb, q.n % 17 = 0),
      ('completion_refused', 'worker-same', '{"held_by": "worker-same", "current_attempt": 1}'::jsonb, q.n % 19 = 0)
    ) as e(event, worker, detail, happens)
    where e.happens
    union all
    select 'watchdog_dead_lettered', d.job_id::text, 'worker-dead', 1, 'test', '{}', d.last_failed_at - interval '1 minute'
    from public.job_dlq d where d.job_type = 'cohort-inline' and extract(minute from d.last_failed_at)::int % 20 = 9`);
});

/** For every bucket group, percentage and window: both functions' rows, after and before. */
async function bothDefinitions() {
  return db.sql.unsafe(`
    with boundary as (
      select public.flag_bucket('G-one', 'tenant-3')::numeric as b
    ),
    params as (
      select g.bucket_group, p.label, p.percentage, w.since, w.until
      from (values ('G-one'), ('JOB_HEARTBEAT'), (null)) as g(bucket_group)
      cross join (select l.label, l.percentage
                  from boundary
                  cross join lateral unnest(
                    array['0', '0.01', '5', '33.333', '50', '99.99', '100', '-5', '150', 'null', 'b', 'b-0.5', 'b+0.5', 'b-0.49', 'b+0.49'],
                    array[0, 0.01, 5, 33.333, 50, 99.99, 100, -5, 150, null,
                          b / 100, (b - 0.5) / 100, (b + 0.5) / 100, (b - 0.49) / 100, (b + 0.49) / 100]::numeric[]) as l(label, percentage)) as p
      cross join (values ('${T0}'::timestamptz, '${T0}'::timestamptz + interval '1 day'),
                         ('${T0}'::timestamptz + interval '2 hours', '${T0}'::timestamptz + interval '5 hours 3 minutes'),
                         ('${T0}'::timestamptz + interval '20 hours', '${T0}'::timestamptz + interval '21 hours'),
                         (null, '${T0}'::timestamptz + interval '1 day')) as w(since, until)
    )
    select p.bucket_group, p.label, p.percentage::text as percentage, p.since, p.until,
           (select pg_catalog.json_agg(x) from public.rollout_signal_counts(p.bucket_group, p.percentage, p.since, p.until) x) as counts,
           (select pg_catalog.json_agg(x) from public.rollout_signal_counts_before(p.bucket_group, p.percentage, p.since, p.until) x) as counts_before,
           (select pg_catalog.json_agg(x) from public.rollout_runtime_percentiles(p.bucket_group, p.percentage, p.since, p.until) x) as runtimes,
           (select pg_catalog.json_agg(x) from public.rollout_runtime_percentiles_before(p.bucket_group, p.percentage, p.since, p.until) x) as runtimes_before
    from params p`);
}

describe("the guard's signal functions with the cohort inline", () => {
  it("answer exactly as rollout_cohort and job_flag_subject per job did", async () => {
    const rows = await bothDefinitions();
    expect(rows).toHaveLength(3 * 15 * 4);
    for (const row of rows) {
      const params = `group ${row.bucket_group}, ${row.percentage} % (${row.label}), [${row.since?.toISOString()}, ${row.until.toISOString()})`;
      expect(row.counts, params).toEqual(row.counts_before);
      expect(row.runtimes, params).toEqual(row.runtimes_before);
    }

    // The comparison has something to compare: both cohorts and every event occur, and the
    // threshold's rounding moves tenant-3's jobs (bucket b) into the canary at b + 0.5, not before.
    const wholeWindow = (label: string) => {
      const row = rows.find((r) => r.bucket_group === "G-one" && r.label === label && r.since?.getTime() === Date.parse(T0));
      if (!row) throw new Error(`no row for ${label} over the whole window`);
      return row;
    };
    const half = wholeWindow("50");
    for (const signal of half.counts) {
      expect(signal.canary_jobs, signal.signal).toBeGreaterThan(0);
      expect(signal.control_jobs, signal.signal).toBeGreaterThan(0);
      expect(signal.canary_events + signal.control_events, signal.signal).toBeGreaterThan(0);
    }
    for (const runtime of half.runtimes) expect(runtime.completed_jobs, runtime.cohort).toBeGreaterThan(0);
    const canaryJobs = (label: string) => wholeWindow(label).counts[0].canary_jobs as number;
    expect(canaryJobs("b-0.5")).toBe(canaryJobs("b"));
    expect(canaryJobs("b+0.49")).toBe(canaryJobs("b"));
    expect(canaryJobs("b+0.5")).toBeGreaterThan(canaryJobs("b"));
  });
});
