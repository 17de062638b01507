-- Roll back 20261125100700_create_job_watchdog. Roll back the pg_cron schedule
-- (20261125100800) first: its job calls this function.
set lock_timeout = '5s';

drop function if exists public.reclaim_stale_jobs(interval, integer);
