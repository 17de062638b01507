-- Verify 20261125100600_add_job_dlq_job_snapshot.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: job_dlq.job_snapshot is a nullable jsonb
do $$ begin
  if not exists (select 1 from information_schema.columns
                 where table_schema = 'public' and table_name = 'job_dlq' and column_name = 'job_snapshot'
                   and data_type = 'jsonb' and is_nullable = 'YES') then
    raise exception 'job_dlq.job_snapshot is missing or not a nullable jsonb';
  end if;
end $$;
