-- Verify 20261202120100_create_rollout_signals_view.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: rollout_signals exists, for service_role only
do $$ begin
  if to_regclass('public.rollout_signals') is null then
    raise exception 'view public.rollout_signals is missing';
  end if;
  if has_table_privilege('anon', 'public.rollout_signals', 'select')
     or has_table_privilege('authenticated', 'public.rollout_signals', 'select')
     or not has_table_privilege('service_role', 'public.rollout_signals', 'select') then
    raise exception 'rollout_signals is not for service_role only';
  end if;
end $$;

-- check: a plan under way shows every signal with both cohorts' counts and the test, and which it guards on
do $$
declare
  shown record;
begin
  insert into public.feature_flags (key, enabled, rollout_percentage) values ('VERIFY_ROLLOUT_SIGNALS', true, 5);
  insert into public.rollout_plans (flag_key, steps, step_min_durations, guard_signals, step_started_at)
  values ('VERIFY_ROLLOUT_SIGNALS', '{5,100}', '{1 day,0}', '{duplicate_execution_rate}', now() - interval '1 hour');
  select pg_catalog.array_agg(signal order by signal) as signals,
         pg_catalog.array_agg(signal order by signal) filter (where guarded) as guarded,
         pg_catalog.bool_and(canary_jobs is not null and control_jobs is not null and worse is not null) as complete
    into shown
  from public.rollout_signals where flag_key = 'VERIFY_ROLLOUT_SIGNALS';
  if shown.signals is distinct from array['duplicate_execution_rate', 'permanent_failure_rate', 'retry_rate', 'watchdog_rescue_rate']
     or shown.guarded is distinct from array['duplicate_execution_rate'] or not shown.complete then
    raise exception 'expected the four signals with counts and test, duplicate_execution_rate guarded; got %', shown;
  end if;
end $$;
