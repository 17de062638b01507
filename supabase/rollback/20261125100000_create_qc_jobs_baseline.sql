-- Roll back 20261125100000_create_qc_jobs_baseline: drop the baseline qc_jobs, only while it is
-- empty and only if the kit created it. A project's own qc_jobs is never dropped.
set lock_timeout = '5s';

do $$ begin
  if to_regclass('public.qc_jobs') is null then
    return;
  end if;
  if coalesce(obj_description('public.qc_jobs'::regclass, 'pg_class'), '') not like 'Background jobs. Baseline created by the reliability kit%' then
    -- The migration only checked this table's contract, so there is nothing to undo.
    raise notice 'public.qc_jobs was not created by the reliability kit; it is kept';
    return;
  end if;
  if exists (select 1 from public.qc_jobs) then
    raise exception 'public.qc_jobs holds % jobs; rolling back would lose them', (select count(*) from public.qc_jobs)
      using hint = 'Back them up and delete them first if you really mean to drop the table.';
  end if;
  drop table public.qc_jobs;
end $$;
