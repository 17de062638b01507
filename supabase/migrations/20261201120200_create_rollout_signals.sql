-- The guard's signals: per cohort, the jobs finished in a time window and how many of them had
-- each event. Read by the rollout tick and the rollout_status view.
--
-- A finished job is one that completed or failed for good in the window. Failed for good is
-- counted wherever the flags put it, so that DLQ_ENABLED itself does not bias the comparison:
-- a qc_jobs row with the failed status (finished_at in the window), or a job_dlq entry (last
-- failed in the window; its cohort comes from the job row kept in job_snapshot, else its job_id).
-- Cancelled jobs are no outcome of the code and are left out.
--   permanent_failure_rate  failed for good / finished
--   retry_rate              needed more than one attempt / finished
-- A job retried from the DLQ that then completes counts once per outcome.
-- Run time (finished_at - started_at of the last attempt, completed jobs only) is shown per cohort
-- by rollout_runtime_percentiles; it is no proportion, so the guard's test does not judge it.
-- Not computed, because no table records them yet: watchdog rescues per claimed job (the
-- watchdog's message survives only as the last error, overwritten by any later failure) and
-- duplicate executions (a refused completion leaves no row). A signal is one more row here and
-- one more word in rollout_plans' guard_signals check.
--
-- Cost: one pass over the jobs finished in the window; qc_jobs has no index on finished_at by
-- default (docs/rollout-plans.md says when to add one).
-- Rollback: supabase/rollback/20261201120200_create_rollout_signals.sql

set lock_timeout = '5s';

create or replace function public.rollout_signal_counts(
  bucket_group text, percentage numeric, since timestamptz, until timestamptz
)
  returns table (signal text, canary_jobs bigint, canary_events bigint, control_jobs bigint, control_events bigint)
  language sql stable
  set search_path = ''
as $$
  with finished as (
    select public.rollout_cohort(rollout_signal_counts.bucket_group, public.job_flag_subject(q.tenant_id, q.id), rollout_signal_counts.percentage) as cohort,
           q.status = 'failed' as failed_for_good,
           q.attempts > 1 as retried
    from public.qc_jobs q
    where q.status in ('completed', 'failed')
      and q.finished_at >= rollout_signal_counts.since and q.finished_at < rollout_signal_counts.until
    union all
    select public.rollout_cohort(rollout_signal_counts.bucket_group, public.job_flag_subject(snap.tenant_id, snap.id), rollout_signal_counts.percentage),
           true,
           d.attempts > 1
    from public.job_dlq d
    cross join lateral pg_catalog.jsonb_populate_record(
      null::public.qc_jobs,
      coalesce(d.job_snapshot, '{}'::jsonb) || pg_catalog.jsonb_build_object('id', d.job_id)) as snap
    where d.last_failed_at >= rollout_signal_counts.since and d.last_failed_at < rollout_signal_counts.until
  )
  -- Every signal gets a row, with zero counts when nothing finished.
  select s.signal,
         pg_catalog.count(*) filter (where f.cohort = 'canary'),
         pg_catalog.count(*) filter (where f.cohort = 'canary' and e.happened),
         pg_catalog.count(*) filter (where f.cohort = 'control'),
         pg_catalog.count(*) filter (where f.cohort = 'control' and e.happened)
  from (values ('permanent_failure_rate'), ('retry_rate')) as s(signal)
  left join finished f on true
  cross join lateral (select case s.signal when 'permanent_failure_rate' then f.failed_for_good
                                           else f.retried end as happened) as e
  group by s.signal
  order by s.signal
$$;

comment on function public.rollout_signal_counts(text, numeric, timestamptz, timestamptz) is
  'Guard signals per cohort (canary = bucket under the percentage in the bucket group) over jobs finished in [since, until).';

-- The 50th and 95th run-time percentiles of the completed jobs per cohort, in seconds.
create or replace function public.rollout_runtime_percentiles(
  bucket_group text, percentage numeric, since timestamptz, until timestamptz
)
  returns table (cohort text, completed_jobs bigint, p50_seconds double precision, p95_seconds double precision)
  language sql stable
  set search_path = ''
as $$
  select c.cohort, pg_catalog.count(q.id),
         pg_catalog.percentile_cont(0.5) within group (order by extract(epoch from q.finished_at - q.started_at)),
         pg_catalog.percentile_cont(0.95) within group (order by extract(epoch from q.finished_at - q.started_at))
  from (values ('canary'), ('control')) as c(cohort)
  left join public.qc_jobs q
    on q.status = 'completed' and q.started_at is not null
   and q.finished_at >= rollout_runtime_percentiles.since and q.finished_at < rollout_runtime_percentiles.until
   and public.rollout_cohort(rollout_runtime_percentiles.bucket_group, public.job_flag_subject(q.tenant_id, q.id), rollout_runtime_percentiles.percentage) = c.cohort
  group by c.cohort
  order by c.cohort
$$;

revoke all on function public.rollout_signal_counts(text, numeric, timestamptz, timestamptz) from public, anon, authenticated;
revoke all on function public.rollout_runtime_percentiles(text, numeric, timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function public.rollout_runtime_percentiles(text, numeric, timestamptz, timestamptz) to service_role;
grant execute on function public.rollout_signal_counts(text, numeric, timestamptz, timestamptz) to service_role;
