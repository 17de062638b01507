-- Roll back 20261201120400_schedule_rollout_tick: unschedule the tick, drop the function.
-- The pg_cron extension stays: other jobs (the watchdog) use it.
set lock_timeout = '5s';

do $$ begin
  -- Dynamic SQL: schema cron does not exist where pg_cron is absent.
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    execute $q$select cron.unschedule(jobid) from cron.job where jobname = 'rollout-tick'$q$;
  end if;
end $$;

drop function if exists public.schedule_rollout_tick();
