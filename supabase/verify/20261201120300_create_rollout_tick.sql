-- Verify 20261201120300_create_rollout_tick.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: rollout_tick and rollout_status exist for service_role only
do $$ begin
  if to_regprocedure('public.rollout_tick(timestamptz)') is null or to_regclass('public.rollout_status') is null then
    raise exception 'public.rollout_tick(timestamptz) or public.rollout_status is missing';
  end if;
  if has_function_privilege('anon', 'public.rollout_tick(timestamptz)', 'execute')
     or has_table_privilege('anon', 'public.rollout_status', 'select')
     or not has_table_privilege('service_role', 'public.rollout_status', 'select') then
    raise exception 'rollout_tick / rollout_status grants are not service_role only';
  end if;
end $$;

-- check: a tick enters a new plan's first step through the audited flag path, and a second tick at the same time changes nothing
do $$
declare
  audits bigint;
begin
  insert into public.feature_flags (key, enabled, rollout_percentage) values ('VERIFY_ROLLOUT_TICK', false, 0);
  insert into public.rollout_plans (flag_key, steps, step_min_durations) values ('VERIFY_ROLLOUT_TICK', '{5,100}', '{1 day,0}');
  perform public.rollout_tick('2026-01-01T00:00:00Z');
  if (select (enabled, rollout_percentage) from public.feature_flags where key = 'VERIFY_ROLLOUT_TICK') <> (true, 5::numeric) then
    raise exception 'the tick did not put the flag at its first step (on for 5 %%)';
  end if;
  select count(*) into audits from public.feature_flag_audit where flag_key = 'VERIFY_ROLLOUT_TICK';
  perform public.rollout_tick('2026-01-01T00:00:00Z');
  if (select count(*) from public.feature_flag_audit where flag_key = 'VERIFY_ROLLOUT_TICK') <> audits
     or (select count(*) from public.rollout_events where flag_key = 'VERIFY_ROLLOUT_TICK' and kind = 'start') <> 1 then
    raise exception 'a second tick changed the flag again or wrote a second start event';
  end if;
  if (select state from public.rollout_status where flag_key = 'VERIFY_ROLLOUT_TICK') <> 'active' then
    raise exception 'rollout_status does not show the plan as active';
  end if;
end $$;
