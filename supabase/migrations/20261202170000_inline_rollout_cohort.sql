-- The rollout guard's signal functions compute each finished job's cohort inline, instead of
-- calling public.rollout_cohort and public.job_flag_subject per job; the same jobs get the same
-- cohorts, so the same counts and run times.
--
-- Both are SQL functions with their own search_path (set search_path = ''), which keeps Postgres
-- from inlining them: every call starts the SQL-function executor. rollout_signal_counts and
-- rollout_runtime_percentiles paid two such calls per job finished in the step's window, on top
-- of flag_bucket's hash, and rollout_tick reads rollout_signal_counts for every active plan on
-- every tick (the rollout_status view reads both). Measured with the bench rows db.rollout.* (a
-- step's hour of 101,000 finished jobs at a 5 % canary, on a 1,000,000-row qc_jobs; three pairs of
-- runs alternating the definitions before and after this migration, medians of three reads):
--   rollout_signal_counts        822 to 978 ms with the calls, 426 to 597 ms inline;
--   rollout_runtime_percentiles  1,337 to 1,468 ms with the calls, 278 to 426 ms inline (it also
--                                computed the cohort twice per job; see below).
--
-- Now each function writes the rule where the job is read:
--   subject  the subject rule for this table's shape (as 20261202160000_inline_job_flag_subject
--            writes it; the kit renders it and job_flag_subject's body from one rule);
--   cohort   rollout_cohort's rule: canary when public.flag_bucket(bucket_group, subject) <
--            round(percentage * 100), else control. Written as
--              case flag_bucket(...) < round(percentage * 100) when true then 'canary'
--                                                              when false then 'control' end
--            so that it is null exactly where rollout_cohort (strict) is null: a null bucket group,
--            subject or percentage (flag_bucket is strict too, and a bucket is never null
--            otherwise), and no job with a null cohort is counted in either cohort, as before.
--            rollout_cohort has no short cut at 0 % or 100 %, and needs none: every bucket 0..9999
--            is under 10000 and none is under 0.
-- flag_bucket stays a call: it is the one implementation of the hash. rollout_runtime_percentiles
-- also aggregates the jobs by cohort before it joins the two cohorts, so that the cohort is
-- computed once per job, not twice (below).
--
-- What stays the same: the names, signatures, volatility, results and grants (create or replace
-- keeps them); the jobs each function reads and how it counts them. rollout_cohort stays, for the
-- guard's other callers and apps.
-- Rollback: supabase/rollback/20261202170000_inline_rollout_cohort.sql

set lock_timeout = '5s';

create or replace function public.rollout_signal_counts(
  bucket_group text, percentage numeric, since timestamptz, until timestamptz
)
  returns table (signal text, canary_jobs bigint, canary_events bigint, control_jobs bigint, control_events bigint)
  language sql stable
  set search_path = ''
as $$
  with rescued as (
    select distinct e.job_id
    from public.job_events e
    where e.event in ('watchdog_requeued', 'watchdog_dead_lettered', 'watchdog_failed')
      and e.at >= rollout_signal_counts.since and e.at < rollout_signal_counts.until
  ),
  duplicated as (
    select distinct e.job_id
    from public.job_events e
    where e.event = 'completion_refused'
      and e.at >= rollout_signal_counts.since and e.at < rollout_signal_counts.until
      -- The worker's own attempt, already finished: a retried call, not a second execution.
      and not (e.detail ->> 'held_by' is not null and e.detail ->> 'held_by' = e.worker_id
               and (e.attempt is null or e.detail ->> 'current_attempt' = e.attempt::text))
  ),
  -- Each branch computes the cohort where it reads the job, so that it is computed once per job.
  finished as (
    select case public.flag_bucket(rollout_signal_counts.bucket_group, coalesce(q.tenant_id, q.id::text))
                  < pg_catalog.round(rollout_signal_counts.percentage * 100)
             when true then 'canary' when false then 'control' end as cohort,
           q.status = 'failed' as failed_for_good,
           q.attempts > 1 as retried,
           q.id::text as job_key
    from public.qc_jobs q
    where q.status in ('completed', 'failed')
      and q.finished_at >= rollout_signal_counts.since and q.finished_at < rollout_signal_counts.until
    union all
    select case public.flag_bucket(rollout_signal_counts.bucket_group, coalesce(snap.tenant_id, snap.id::text))
                  < pg_catalog.round(rollout_signal_counts.percentage * 100)
             when true then 'canary' when false then 'control' end,
           true,
           d.attempts > 1,
           d.job_id::text
    from public.job_dlq d
    cross join lateral pg_catalog.jsonb_populate_record(
      null::public.qc_jobs,
      coalesce(d.job_snapshot, '{}'::jsonb) || pg_catalog.jsonb_build_object('id', d.job_id)) as snap
    where d.last_failed_at >= rollout_signal_counts.since and d.last_failed_at < rollout_signal_counts.until
  ),
  -- Joins, not a subquery per job: the sets are distinct, so no job is counted twice, and the
  -- planner hashes them once.
  judged as (
    select f.cohort, f.failed_for_good, f.retried,
           r.job_id is not null as rescued,
           u.job_id is not null as duplicated
    from finished f
    left join rescued r on r.job_id = f.job_key
    left join duplicated u on u.job_id = f.job_key
  )
  -- Every signal gets a row, with zero counts when nothing finished.
  select s.signal,
         pg_catalog.count(*) filter (where j.cohort = 'canary'),
         pg_catalog.count(*) filter (where j.cohort = 'canary' and e.happened),
         pg_catalog.count(*) filter (where j.cohort = 'control'),
         pg_catalog.count(*) filter (where j.cohort = 'control' and e.happened)
  from (values ('duplicate_execution_rate'), ('permanent_failure_rate'), ('retry_rate'), ('watchdog_rescue_rate')) as s(signal)
  left join judged j on true
  cross join lateral (select case s.signal when 'permanent_failure_rate' then j.failed_for_good
                                           when 'retry_rate' then j.retried
                                           when 'watchdog_rescue_rate' then j.rescued
                                           else j.duplicated end as happened) as e
  group by s.signal
  order by s.signal
$$;

comment on function public.rollout_signal_counts(text, numeric, timestamptz, timestamptz) is
  'Guard signals per cohort (canary = bucket under the percentage in the bucket group) over jobs finished in [since, until): permanent failures, retries, watchdog rescues, duplicate executions.';

-- The 50th and 95th run-time percentiles of the completed jobs per cohort, in seconds. The jobs are
-- aggregated by cohort first, then the two cohorts are joined to the aggregates: a join of the
-- cohorts to the jobs on the cohort evaluates it twice per job (when the hash is built, and again
-- when a match is checked). A cohort with no completed job has a count of 0 and null percentiles,
-- as before.
create or replace function public.rollout_runtime_percentiles(
  bucket_group text, percentage numeric, since timestamptz, until timestamptz
)
  returns table (cohort text, completed_jobs bigint, p50_seconds double precision, p95_seconds double precision)
  language sql stable
  set search_path = ''
as $$
  select c.cohort, coalesce(r.completed_jobs, 0), r.p50_seconds, r.p95_seconds
  from (values ('canary'), ('control')) as c(cohort)
  left join (
    select j.cohort, pg_catalog.count(*) as completed_jobs,
           pg_catalog.percentile_cont(0.5) within group (order by extract(epoch from j.finished_at - j.started_at)) as p50_seconds,
           pg_catalog.percentile_cont(0.95) within group (order by extract(epoch from j.finished_at - j.started_at)) as p95_seconds
    from (select case public.flag_bucket(rollout_runtime_percentiles.bucket_group, coalesce(q.tenant_id, q.id::text))
                        < pg_catalog.round(rollout_runtime_percentiles.percentage * 100)
                   when true then 'canary' when false then 'control' end as cohort,
                 q.started_at, q.finished_at
          from public.qc_jobs q
          where q.status = 'completed' and q.started_at is not null
            and q.finished_at >= rollout_runtime_percentiles.since and q.finished_at < rollout_runtime_percentiles.until) as j
    group by j.cohort
  ) as r on r.cohort = c.cohort
  order by c.cohort
$$;
