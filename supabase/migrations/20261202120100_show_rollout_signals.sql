-- rollout_status shows every guard signal: a `signals` column with, per signal, whether the plan
-- guards on it, both cohorts' counts and rates since the step began, and the guard's test on them
-- (z, p and whether the canary is worse, at the plan's tolerance and confidence: the numbers the
-- next tick would judge). The permanent-failure and run-time columns stay as they were.
--
-- The view's rows change shape, so the view and the function under it are dropped and created
-- again, in this file's transaction: a reader sees the old view or the new one. Nothing else
-- depends on them.
-- Rollback: supabase/rollback/20261202120100_show_rollout_signals.sql

set lock_timeout = '5s';

drop view if exists public.rollout_status;
drop function if exists public.rollout_plan_status();

-- Per plan: where it stands, both cohorts' permanent-failure numbers and run-time percentiles
-- (completed jobs), and every signal with its test, over the current step, live. The same rows
-- `npm run ops -- rollout status` prints. A function under the view, because a view naming
-- feature_flags directly would stop the flags' own migration from being rolled back (Postgres
-- records a view's dependencies).
create or replace function public.rollout_plan_status()
  returns table (
    flag_key text, state text, current_step integer, steps numeric[], step_percentage numeric,
    flag_enabled boolean, flag_percentage numeric, step_started_at timestamptz, step_time_passes_at timestamptz,
    guard_signals text[], min_sample integer, confidence numeric, tolerance numeric, starts_after text,
    canary_jobs bigint, canary_failures bigint, canary_failure_rate double precision,
    control_jobs bigint, control_failures bigint, control_failure_rate double precision,
    canary_runtime_p50_seconds double precision, canary_runtime_p95_seconds double precision,
    control_runtime_p50_seconds double precision, control_runtime_p95_seconds double precision,
    last_decision text, last_reason text, last_evaluated_at timestamptz,
    signals jsonb
  )
  language sql stable
  set search_path = ''
as $$
  select p.flag_key,
         p.state,
         p.current_step,
         p.steps,
         p.steps[p.current_step + 1] as step_percentage,
         f.enabled as flag_enabled,
         f.rollout_percentage as flag_percentage,
         p.step_started_at,
         p.step_started_at + p.step_min_durations[p.current_step + 1] as step_time_passes_at,
         p.guard_signals,
         p.min_sample,
         p.confidence,
         p.tolerance,
         p.starts_after,
         c.canary_jobs,
         c.canary_events as canary_failures,
         c.canary_events::double precision / nullif(c.canary_jobs, 0) as canary_failure_rate,
         c.control_jobs,
         c.control_events as control_failures,
         c.control_events::double precision / nullif(c.control_jobs, 0) as control_failure_rate,
         rt.canary_runtime_p50_seconds,
         rt.canary_runtime_p95_seconds,
         rt.control_runtime_p50_seconds,
         rt.control_runtime_p95_seconds,
         p.last_decision,
         p.last_reason,
         p.last_evaluated_at,
         c.signals
  from public.rollout_plans p
  left join public.feature_flags f on f.key = p.flag_key
  -- One count of every signal; the permanent-failure columns are its row.
  left join lateral (
    select pg_catalog.max(s.canary_jobs) filter (where s.signal = 'permanent_failure_rate') as canary_jobs,
           pg_catalog.max(s.canary_events) filter (where s.signal = 'permanent_failure_rate') as canary_events,
           pg_catalog.max(s.control_jobs) filter (where s.signal = 'permanent_failure_rate') as control_jobs,
           pg_catalog.max(s.control_events) filter (where s.signal = 'permanent_failure_rate') as control_events,
           pg_catalog.jsonb_agg(
             public.rollout_compare(pg_catalog.to_jsonb(s), p.tolerance::double precision, p.confidence::double precision)
             || pg_catalog.jsonb_build_object('guarded', s.signal = any (p.guard_signals))
             order by s.signal) as signals
    from public.rollout_signal_counts(f.bucket_group, p.steps[p.current_step + 1], p.step_started_at, pg_catalog.now()) s
    where p.step_started_at is not null and p.state <> 'completed'
  ) c on true
  left join lateral (
    select pg_catalog.max(r.p50_seconds) filter (where r.cohort = 'canary') as canary_runtime_p50_seconds,
           pg_catalog.max(r.p95_seconds) filter (where r.cohort = 'canary') as canary_runtime_p95_seconds,
           pg_catalog.max(r.p50_seconds) filter (where r.cohort = 'control') as control_runtime_p50_seconds,
           pg_catalog.max(r.p95_seconds) filter (where r.cohort = 'control') as control_runtime_p95_seconds
    from public.rollout_runtime_percentiles(f.bucket_group, p.steps[p.current_step + 1], p.step_started_at, pg_catalog.now()) r
    where p.step_started_at is not null and p.state <> 'completed'
  ) rt on true
  order by p.flag_key
$$;

create or replace view public.rollout_status
  with (security_invoker = true)
as
select * from public.rollout_plan_status();

comment on view public.rollout_status is
  'Rollout plans with where they stand and, since the step began, both cohorts'' numbers for every guard signal (signals), permanent failures and run-time percentiles.';

revoke all on function public.rollout_plan_status() from public, anon, authenticated;
grant execute on function public.rollout_plan_status() to service_role;
revoke all on public.rollout_status from anon, authenticated, service_role;
grant select on public.rollout_status to service_role;
