-- Runs the rollout tick every minute with pg_cron (Supabase Cron), where pg_cron exists, the
-- same way the job watchdog is scheduled (20261125100800_schedule_job_watchdog.sql):
--   * pg_cron created in this database: schedule (cron.schedule by name updates the job of that
--     name, so running this again keeps exactly one job 'rollout-tick');
--   * pg_cron available but not created: create it, then schedule; if it cannot be created here,
--     say so and go on;
--   * pg_cron not available (PGlite, PostgreSQL without the package): say so and go on; run
--     `npm run ops -- rollout tick` (or select public.rollout_tick()) from any scheduler instead.
-- The job runs as the role that scheduled it (the migration role, owner of the tables).
-- Rollback: supabase/rollback/20261201120400_schedule_rollout_tick.sql

set lock_timeout = '5s';

create or replace function public.schedule_rollout_tick() returns text
  language plpgsql
  set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
      raise notice 'pg_cron is not available on this server: rollout plans are not advanced automatically. '
        'Run npm run ops -- rollout tick (or select public.rollout_tick()) every minute from elsewhere, or enable pg_cron and call select public.schedule_rollout_tick().';
      return 'pg_cron not available';
    end if;
    begin
      create extension if not exists pg_cron with schema pg_catalog;
    exception when others then
      raise notice 'pg_cron is available but could not be created in this database (%): rollout plans are not advanced automatically. '
        'Enable pg_cron (Supabase: Integrations > Cron), then call select public.schedule_rollout_tick().', sqlerrm;
      return 'pg_cron not created: ' || sqlerrm;
    end;
  end if;

  perform cron.schedule('rollout-tick', '* * * * *', 'select count(*) from public.rollout_tick()');
  raise notice 'rollout tick scheduled every minute as pg_cron job rollout-tick';
  return 'scheduled';
end
$$;

comment on function public.schedule_rollout_tick() is
  'Schedules public.rollout_tick() every minute as pg_cron job rollout-tick, where pg_cron exists. Idempotent.';

-- Only the owner (the migration role) schedules jobs.
revoke all on function public.schedule_rollout_tick() from public, anon, authenticated, service_role;

select public.schedule_rollout_tick();
