-- Verify 20261201120400_schedule_rollout_tick.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: schedule_rollout_tick exists, only its owner may run it, and where pg_cron is created one job rollout-tick runs the tick every minute
do $$
declare
  jobs integer;
begin
  if to_regprocedure('public.schedule_rollout_tick()') is null then
    raise exception 'function public.schedule_rollout_tick() is missing';
  end if;
  if has_function_privilege('service_role', 'public.schedule_rollout_tick()', 'execute') then
    raise exception 'schedule_rollout_tick() is executable by service_role';
  end if;
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    execute $q$select count(*) from cron.job where jobname = 'rollout-tick' and schedule = '* * * * *'
               and command = 'select count(*) from public.rollout_tick()' and active$q$ into jobs;
    if jobs <> 1 then
      raise exception 'expected one active pg_cron job rollout-tick every minute, found %', jobs;
    end if;
  end if;
end $$;
