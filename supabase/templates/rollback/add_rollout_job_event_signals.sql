-- Roll back 20261202120000_add_rollout_job_event_signals: the guard's signal counts as they were
-- (20261201120200_create_rollout_signals: permanent failures and retries only) and the plans'
-- signal check as it was. Refuses while a plan guards on a signal this removes: change its
-- signals first (`npm run ops -- rollout plan change KEY --signals permanent_failure_rate`).
set lock_timeout = '5s';

do $$
declare
  guarded text;
begin
  if pg_catalog.to_regclass('public.rollout_plans') is null then
    return;
  end if;
  execute $q$select pg_catalog.string_agg(p.flag_key, ', ' order by p.flag_key)
             from public.rollout_plans p
             where p.guard_signals && array['watchdog_rescue_rate', 'duplicate_execution_rate']::text[]$q$
    into guarded;
  if guarded is not null then
    raise exception 'rollback: the rollout plans of % guard on watchdog_rescue_rate or duplicate_execution_rate, which this rollback removes; change their signals first', guarded
      using errcode = '55000';
  end if;
end $$;

-- The plans' table may be gone already (its own rollback ran first): nothing to put back then.
alter table if exists public.rollout_plans drop constraint if exists rollout_job_heartbeat_cannot_guard_on_watchdog_rescues;
alter table if exists public.rollout_plans drop constraint if exists rollout_guard_signals_must_be_known;
alter table if exists public.rollout_plans add constraint rollout_guard_signals_must_be_known
  check (guard_signals <@ array['permanent_failure_rate', 'retry_rate']::text[]);

create or replace function public.rollout_signal_counts(
  bucket_group text, percentage numeric, since timestamptz, until timestamptz
)
  returns table (signal text, canary_jobs bigint, canary_events bigint, control_jobs bigint, control_events bigint)
  language sql stable
  set search_path = ''
as $$
  with finished as (
    select public.rollout_cohort(rollout_signal_counts.bucket_group, {{job_subject:q}}, rollout_signal_counts.percentage) as cohort,
           q.status = {{status.failed}} as failed_for_good,
           q.attempts > 1 as retried
    from public.qc_jobs q
    where q.status in ({{status.completed}}, {{status.failed}})
      and q.finished_at >= rollout_signal_counts.since and q.finished_at < rollout_signal_counts.until
    union all
    select public.rollout_cohort(rollout_signal_counts.bucket_group, {{job_subject:snap}}, rollout_signal_counts.percentage),
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
