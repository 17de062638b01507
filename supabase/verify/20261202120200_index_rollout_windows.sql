-- Verify 20261202120200_index_rollout_windows.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: qc_jobs_finished_at_idx and job_dlq_last_failed_at_idx exist, valid, with their keys
do $$
declare
  name text;
  expected text;
  found_def text;
begin
  for name, expected in select * from (values
    ('qc_jobs_finished_at_idx', 'public.qc_jobs USING btree (finished_at) WHERE (finished_at IS NOT NULL)'),
    ('job_dlq_last_failed_at_idx', 'public.job_dlq USING btree (last_failed_at)')) as v(n, d)
  loop
    select pg_catalog.split_part(pg_catalog.pg_get_indexdef(i.indexrelid), ' ON ', 2) into found_def
    from pg_catalog.pg_index i
    where i.indexrelid = pg_catalog.to_regclass('public.' || name) and i.indisvalid;
    if found_def is distinct from expected then
      raise exception 'index public.% is missing, invalid or not %: %', name, expected, found_def;
    end if;
  end loop;
end $$;
