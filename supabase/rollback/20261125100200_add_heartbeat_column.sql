-- Roll back 20261125100200_add_heartbeat_column (plan 002): the plan's rollback steps.
-- Dropping a column only marks it dropped in the catalog (no rewrite); the indexes go first.
-- The heartbeat values are lost, which is harmless: they are only meaningful while jobs run.
set lock_timeout = '5s';

drop index if exists public.idx_qc_jobs_running_heartbeat;
drop index if exists public.idx_qc_jobs_heartbeat;
alter table if exists public.qc_jobs drop column if exists last_heartbeat_at;
