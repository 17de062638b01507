-- Verify 20261125100200_add_heartbeat_column: the column, its indexes and the fillfactor, as checks.
-- Each "-- check:" block passes by running and fails by raising an error. The runner executes the
-- file inside begin ... rollback, so a verification never changes the database.

-- check: qc_jobs.last_heartbeat_at is a nullable timestamptz without default
do $$ begin
  if not exists (select 1 from information_schema.columns
                 where table_schema = 'public' and table_name = 'qc_jobs' and column_name = 'last_heartbeat_at'
                   and data_type = 'timestamp with time zone' and is_nullable = 'YES' and column_default is null) then
    raise exception 'qc_jobs.last_heartbeat_at is missing or not a nullable timestamptz without default';
  end if;
end $$;

-- check: idx_qc_jobs_heartbeat exists and is valid
do $$ begin
  if not exists (select 1 from pg_index i where i.indexrelid = to_regclass('public.idx_qc_jobs_heartbeat') and i.indisvalid) then
    raise exception 'index idx_qc_jobs_heartbeat is missing or invalid';
  end if;
end $$;

-- check: idx_qc_jobs_running_heartbeat exists, is valid and covers running jobs only
do $$ begin
  if not exists (select 1 from pg_index i
                 where i.indexrelid = to_regclass('public.idx_qc_jobs_running_heartbeat') and i.indisvalid
                   and pg_get_expr(i.indpred, i.indrelid) like '%running%') then
    raise exception 'index idx_qc_jobs_running_heartbeat is missing, invalid or not partial on running jobs';
  end if;
end $$;

-- check: qc_jobs keeps free space for heartbeat row versions (fillfactor at most 80)
do $$ begin
  if coalesce((select option_value::integer
               from pg_options_to_table((select reloptions from pg_class where oid = 'public.qc_jobs'::regclass))
               where option_name = 'fillfactor'), 100) > 80 then
    raise exception 'qc_jobs fillfactor is above 80: heartbeat row versions will not fit on their page';
  end if;
end $$;

-- check: idx_qc_jobs_running_heartbeat is keyed on coalesce(last_heartbeat_at, started_at) alone
do $$ begin
  if not exists (select 1 from pg_index i
                 where i.indexrelid = to_regclass('public.idx_qc_jobs_running_heartbeat')
                   and i.indnatts = 1
                   and pg_get_indexdef(i.indexrelid) like '%COALESCE(last_heartbeat_at, started_at)%') then
    raise exception 'idx_qc_jobs_running_heartbeat is not keyed on coalesce(last_heartbeat_at, started_at) alone';
  end if;
end $$;
