-- Roll back 20261125100200_add_heartbeat_column: the column, its indexes and the fillfactor.
-- Dropping a column only marks it dropped in the catalog (no rewrite); the indexes go first.
-- The heartbeat values are lost, which is harmless: they are only meaningful while jobs run.
set lock_timeout = '5s';

drop index if exists public.idx_qc_jobs_running_heartbeat;
drop index if exists public.idx_qc_jobs_heartbeat;
alter table if exists public.qc_jobs drop column if exists last_heartbeat_at;
-- Back to the default packing (catalog only), but only where the fillfactor is the 80 that 20261125100200
-- set: a table tuned lower by its owner kept its own value and keeps it.
do $$ begin
  if to_regclass('public.qc_jobs') is not null and exists (
       select 1 from pg_options_to_table((select reloptions from pg_class where oid = 'public.qc_jobs'::regclass))
       where option_name = 'fillfactor' and option_value = '80') then
    alter table public.qc_jobs reset (fillfactor);
  end if;
end $$;
