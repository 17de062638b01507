-- Verify 20261201120000_create_rollout_plans.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: rollout_plans and rollout_events exist with row level security, closed to the API's client roles
do $$ begin
  if (select count(*) from pg_class
      where oid in (to_regclass('public.rollout_plans'), to_regclass('public.rollout_events')) and relrowsecurity) <> 2 then
    raise exception 'rollout_plans or rollout_events is missing or has row level security off';
  end if;
  if has_table_privilege('anon', 'public.rollout_plans', 'select') or has_table_privilege('authenticated', 'public.rollout_events', 'select')
     or not has_table_privilege('service_role', 'public.rollout_plans', 'update')
     or has_table_privilege('service_role', 'public.rollout_events', 'update') then
    raise exception 'rollout tables: grants are not service_role read/write plans, append-only events, nothing for anon/authenticated';
  end if;
end $$;

-- check: steps that do not rise, or go above 100, are refused with a sentence
do $$ begin
  insert into public.feature_flags (key) values ('VERIFY_ROLLOUT_STEPS');
  begin
    insert into public.rollout_plans (flag_key, steps, step_min_durations) values ('VERIFY_ROLLOUT_STEPS', '{50,5}', '{1 day,0}');
  exception when check_violation then
    if sqlerrm not like '%rollout_steps_must_rise%' then raise; end if;
    return;
  end;
  raise exception 'steps {50,5} were accepted';
end $$;

-- check: creating and pausing a plan by hand writes operator events; resuming a halted plan re-enters its step
do $$ begin
  insert into public.feature_flags (key) values ('VERIFY_ROLLOUT_PLAN');
  insert into public.rollout_plans (flag_key, steps, step_min_durations, state, step_started_at)
  values ('VERIFY_ROLLOUT_PLAN', '{5,100}', '{7 days,0}', 'halted', now());
  update public.rollout_plans set state = 'paused' where flag_key = 'VERIFY_ROLLOUT_PLAN';
  if (select array_agg(reason order by id) from public.rollout_events
      where flag_key = 'VERIFY_ROLLOUT_PLAN' and kind = 'operator') <> array['plan created', 'halted -> paused'] then
    raise exception 'operator changes were not recorded as two operator events';
  end if;
  update public.rollout_plans set state = 'halted' where flag_key = 'VERIFY_ROLLOUT_PLAN';
  update public.rollout_plans set state = 'active' where flag_key = 'VERIFY_ROLLOUT_PLAN';
  if (select step_started_at from public.rollout_plans where flag_key = 'VERIFY_ROLLOUT_PLAN') is not null then
    raise exception 'a halted plan set back to active kept its step start instead of re-entering the step';
  end if;
end $$;
