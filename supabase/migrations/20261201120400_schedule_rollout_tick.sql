-- Runs the rollout tick every minute with pg_cron (Supabase Cron), where pg_cron is created in
-- this database. Creating the extension is left to the job watchdog's schedule migration
-- (20261125100800, which runs first and creates pg_cron wherever it can) or to enabling Supabase
-- Cron in the dashboard; after enabling it later, call select public.schedule_rollout_tick().
-- Without pg_cron, run `npm run ops -- rollout tick` (or select public.rollout_tick()) every
-- minute from any scheduler. cron.schedule by name updates the job of that name, so running this
-- again keeps exactly one job 'rollout-tick'. The job runs as the role that scheduled it (the
-- migration role, owner of the tables).
-- Rollback: supabase/rollback/20261201120400_schedule_rollout_tick.sql

set lock_timeout = '5s';

create or replace function public.schedule_rollout_tick() returns text
  language plpgsql
  set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    raise notice 'pg_cron is not created in this database: rollout plans are not advanced automatically. '
      'Run npm run ops -- rollout tick every minute from elsewhere, or enable pg_cron and call select public.schedule_rollout_tick().';
    return 'pg_cron not created';
  end if;
  perform cron.schedule('rollout-tick', '* * * * *', 'select count(*) from public.rollout_tick()');
  return 'scheduled';
end
$$;

comment on function public.schedule_rollout_tick() is
  'Schedules public.rollout_tick() every minute as pg_cron job rollout-tick, where pg_cron is created. Idempotent.';

-- Only the owner (the migration role) schedules jobs.
revoke all on function public.schedule_rollout_tick() from public, anon, authenticated, service_role;

select public.schedule_rollout_tick();
