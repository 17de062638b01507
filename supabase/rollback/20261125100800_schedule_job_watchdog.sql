-- Roll back 20261125100800_schedule_job_watchdog: unschedule the watchdog job, drop the function.
-- The pg_cron extension stays: other jobs may use it, and dropping it would delete them.
set lock_timeout = '5s';

do $$
declare
  scheduled boolean;
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    -- Dynamic: cron.job does not exist where pg_cron is absent, and would fail at parse time.
    execute $q$select exists (select 1 from cron.job where jobname = 'qc-jobs-watchdog')$q$ into scheduled;
    if scheduled then
      execute $q$select cron.unschedule('qc-jobs-watchdog')$q$;
    end if;
  end if;
end $$;

drop function if exists public.schedule_job_watchdog();
