-- Roll back 20261201120400_schedule_rollout_tick: unschedule the tick, drop the function.
-- The pg_cron extension stays: other jobs (the watchdog) may use it.
set lock_timeout = '5s';

do $$
declare
  scheduled boolean;
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    -- Dynamic: cron.job does not exist where pg_cron is absent, and would fail at parse time.
    execute $q$select exists (select 1 from cron.job where jobname = 'rollout-tick')$q$ into scheduled;
    if scheduled then
      execute $q$select cron.unschedule('rollout-tick')$q$;
    end if;
  end if;
end $$;

drop function if exists public.schedule_rollout_tick();
