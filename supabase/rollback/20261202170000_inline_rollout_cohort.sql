-- Roll back 20261202170000_inline_rollout_cohort: rollout_signal_counts as
-- 20261202120000_add_rollout_job_event_signals made it and rollout_runtime_percentiles as
-- 20261201120200_create_rollout_signals made it, calling public.rollout_cohort and
-- public.job_flag_subject per job. Same signatures, results and grants.
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
  finished as (
    select public.rollout_cohort(rollout_signal_counts.bucket_group, public.job_flag_subject(q.tenant_id, q.id), rollout_signal_counts.percentage) as cohort,
           q.status = 'failed' as failed_for_good,
           q.attempts > 1 as retried,
           q.id::text as job_key
    from public.qc_jobs q
    where q.status in ('completed', 'failed')
      and q.finished_at >= rollout_signal_counts.since and q.finished_at < rollout_signal_counts.until
    union all
    select public.rollout_cohort(rollout_signal_counts.bucket_group, public.job_flag_subject(snap.tenant_id, snap.id), rollout_signal_counts.percentage),
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
