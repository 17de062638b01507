-- Verify 20261202120100_show_rollout_signals.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: rollout_status has the signals column, for service_role only
do $$ begin
  if not exists (select 1 from information_schema.columns
                 where table_schema = 'public' and table_name = 'rollout_status' and column_name = 'signals' and data_type = 'jsonb') then
    raise exception 'public.rollout_status has no jsonb column signals';
  end if;
  if has_table_privilege('anon', 'public.rollout_status', 'select')
     or not has_table_privilege('service_role', 'public.rollout_status', 'select') then
    raise exception 'rollout_status is not for service_role only';
  end if;
end $$;

-- check: a plan under way shows every signal with both cohorts' counts and the test, and which it guards on
do $$
declare
  shown jsonb;
begin
  insert into public.feature_flags (key, enabled, rollout_percentage) values ('VERIFY_ROLLOUT_SIGNALS', true, 5);
  insert into public.rollout_plans (flag_key, steps, step_min_durations, guard_signals, step_started_at)
  values ('VERIFY_ROLLOUT_SIGNALS', '{5,100}', '{1 day,0}', '{duplicate_execution_rate}', now() - interval '1 hour');
  select signals into shown from public.rollout_status where flag_key = 'VERIFY_ROLLOUT_SIGNALS';
  if pg_catalog.jsonb_array_length(shown) <> 4
     or not (shown -> 0 ?& array['signal', 'guarded', 'canary_jobs', 'canary_events', 'canary_rate', 'control_jobs', 'control_events', 'control_rate', 'z', 'p_value', 'worse'])
     or (select pg_catalog.array_agg(s ->> 'signal' order by s ->> 'signal') filter (where (s ->> 'guarded')::boolean)
           from pg_catalog.jsonb_array_elements(shown) as s) <> array['duplicate_execution_rate'] then
    raise exception 'expected the four signals with counts and test, duplicate_execution_rate guarded; got %', shown;
  end if;
end $$;
