-- Runs the watchdog every minute with pg_cron (Supabase Cron), where pg_cron exists.
--
-- public.schedule_job_watchdog() does the work, so that a project which enables pg_cron later
-- (Dashboard > Integrations > Cron) schedules the watchdog with one call instead of a new migration:
--   * pg_cron created in this database: schedule;
--   * pg_cron available but not created: create it (what enabling Supabase Cron does), then
--     schedule; if it cannot be created here (not in shared_preload_libraries, or this is not the
--     database named by cron.database_name), say so and go on;
--   * pg_cron not available (PGlite, plain PostgreSQL without the package): say so and go on.
-- cron.schedule with a job name updates the job of that name, so running this again (or after
-- changing the command) leaves exactly one job 'qc-jobs-watchdog'. The job runs as the role that
-- scheduled it (the migration role, owner of the tables), with the default 5-minute threshold.
-- Rollback: supabase/rollback/20261125100800_schedule_job_watchdog.sql

set lock_timeout = '5s';

create or replace function public.schedule_job_watchdog() returns text
  language plpgsql
  set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
      raise notice 'pg_cron is not available on this server: the job watchdog is not scheduled. '
        'Run select public.reclaim_stale_jobs() every minute from elsewhere, or enable pg_cron and call select public.schedule_job_watchdog().';
      return 'pg_cron not available';
    end if;
    begin
      -- The schema Supabase installs it in (its objects live in schema cron either way).
      create extension if not exists pg_cron with schema pg_catalog;
    exception when others then
      raise notice 'pg_cron is available but could not be created in this database (%): the job watchdog is not scheduled. '
        'Enable pg_cron (Supabase: Integrations > Cron), then call select public.schedule_job_watchdog().', sqlerrm;
      return 'pg_cron not created: ' || sqlerrm;
    end;
  end if;

  perform cron.schedule('qc-jobs-watchdog', '* * * * *', 'select count(*) from public.reclaim_stale_jobs()');
  raise notice 'job watchdog scheduled every minute as pg_cron job qc-jobs-watchdog';
  return 'scheduled';
end
$$;

comment on function public.schedule_job_watchdog() is
  'Schedules public.reclaim_stale_jobs() every minute as pg_cron job qc-jobs-watchdog, where pg_cron exists. Idempotent.';

-- Only the owner (the migration role) schedules jobs.
revoke all on function public.schedule_job_watchdog() from public, anon, authenticated, service_role;

select public.schedule_job_watchdog();
