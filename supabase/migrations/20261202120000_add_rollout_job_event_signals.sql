-- Two more guard signals, from the record of rescues and refused completions (public.job_events):
--   watchdog_rescue_rate      finished jobs the watchdog rescued at least once / finished jobs
--   duplicate_execution_rate  finished jobs with a completion refused as no longer the worker's /
--                             finished jobs
-- alongside permanent_failure_rate and retry_rate, over the same jobs: those that finished
-- (completed, or failed for good wherever the flags put them) in the window, each in the cohort
-- of its own subject. An event counts when it was recorded in the same window, so each step is
-- judged on what happened during it. Every finished job was claimed, and a job rescued or refused
-- twice counts once, so each signal stays a proportion of jobs that the guard's test can judge,
-- with the same tolerance and minimum sample as the others.
--
-- What counts:
--   * a rescue is the watchdog's (watchdog_requeued, watchdog_dead_lettered, watchdog_failed);
--     an operator's requeue (ops_*) is no outcome of the code and is left out;
--   * a refused completion is a duplicate execution unless it is the worker's own attempt already
--     finished (held by the same worker at the same attempt: a retried call whose first try
--     committed, which the worker helper makes after a dropped connection). A worker whose job was
--     rescued, reclaimed or moved to the DLQ meanwhile ran it a second time.
-- The flag must not bias a signal. DLQ_ENABLED changes where a failed job ends, not whether it is
-- rescued or refused (a zombie's completion of a dead-lettered job is refused as 'gone' and still
-- counted). JOB_HEARTBEAT changes the rescue path itself: its canary is rescued after stale_after
-- instead of after the lease, and at the step's start it gets the dead jobs of the last lease at
-- once, so its rescue count runs ahead of control's with nothing wrong. A plan for JOB_HEARTBEAT
-- therefore may not guard on watchdog_rescue_rate (a constraint below); the harm of a rescue of a
-- live job shows in duplicate_execution_rate and permanent_failure_rate.
-- Rollback: supabase/rollback/20261202120000_add_rollout_job_event_signals.sql

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

-- The plans may name the new signals. rollout_plans is the kit's own small table: replacing a
-- CHECK takes its lock for a moment and scans a handful of rows.
alter table public.rollout_plans drop constraint if exists rollout_guard_signals_must_be_known;
alter table public.rollout_plans add constraint rollout_guard_signals_must_be_known
  check (guard_signals <@ array['permanent_failure_rate', 'retry_rate', 'watchdog_rescue_rate', 'duplicate_execution_rate']::text[]);

-- JOB_HEARTBEAT's canary is rescued by another rule than control (above): its rescue count is no
-- evidence of harm.
alter table public.rollout_plans drop constraint if exists rollout_job_heartbeat_cannot_guard_on_watchdog_rescues;
alter table public.rollout_plans add constraint rollout_job_heartbeat_cannot_guard_on_watchdog_rescues
  check (flag_key <> 'JOB_HEARTBEAT' or not ('watchdog_rescue_rate' = any (guard_signals)));
