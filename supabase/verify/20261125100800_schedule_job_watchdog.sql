-- Verify 20261125100800_schedule_job_watchdog.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: schedule_job_watchdog exists and only its owner may run it
do $$ begin
  if to_regprocedure('public.schedule_job_watchdog()') is null then
    raise exception 'function public.schedule_job_watchdog() is missing';
  end if;
  if has_function_privilege('service_role', 'public.schedule_job_watchdog()', 'execute')
     or has_function_privilege('anon', 'public.schedule_job_watchdog()', 'execute') then
    raise exception 'schedule_job_watchdog() is executable by an API role';
  end if;
end $$;

-- check: where pg_cron is created, exactly one job qc-jobs-watchdog runs the watchdog every minute
do $$
declare
  jobs integer;
begin
  if not exists (select 1 from pg_extension where extname = 'pg_cron') then
    raise notice 'pg_cron is not created in this database: nothing scheduled, nothing to check';
    return;
  end if;
  execute $q$select count(*) from cron.job
             where jobname = 'qc-jobs-watchdog' and schedule = '* * * * *'
               and command like '%public.reclaim_stale_jobs()%' and active$q$ into jobs;
  if jobs <> 1 then
    raise exception 'expected one active pg_cron job qc-jobs-watchdog every minute, found %', jobs;
  end if;
end $$;
