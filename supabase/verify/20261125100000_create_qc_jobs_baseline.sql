-- Verify 20261125100000_create_qc_jobs_baseline: qc_jobs exists and meets the kit's contract.
-- Each "-- check:" block passes by running and fails by raising an error. The runner executes the
-- file inside begin ... rollback, so a verification never changes the database.

-- check: qc_jobs exists
do $$ begin
  if to_regclass('public.qc_jobs') is null then
    raise exception 'public.qc_jobs does not exist';
  end if;
end $$;

-- check: qc_jobs has the contract's columns
do $$
declare missing text;
begin
  select string_agg(col, ', ') into missing
  from unnest(array['id', 'job_type', 'status', 'payload', 'attempts', 'max_attempts', 'tenant_id',
                    'locked_by', 'started_at', 'finished_at', 'last_error', 'created_at', 'updated_at']) as col
  where not exists (select 1 from information_schema.columns c
                    where c.table_schema = 'public' and c.table_name = 'qc_jobs' and c.column_name = col);
  if missing is not null then
    raise exception 'qc_jobs lacks columns: %', missing;
  end if;
end $$;
