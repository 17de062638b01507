-- Verify 20261125100100_create_job_dlq: the table, its indexes, RLS, policies and trigger, as checks.
-- Each "-- check:" block passes by running and fails by raising an error. The runner executes the
-- file inside begin ... rollback, so a verification never changes the database.

-- check: job_dlq table exists
do $$ begin
  if not exists (select 1 from information_schema.tables
                 where table_schema = 'public' and table_name = 'job_dlq') then
    raise exception 'table public.job_dlq does not exist';
  end if;
end $$;

-- check: job_dlq has its indexes
do $$
declare missing text;
begin
  select string_agg(name, ', ') into missing
  from unnest(array['job_dlq_pkey', 'job_dlq_one_open_entry_per_job', 'job_dlq_review_status_created_at_idx',
                    'job_dlq_job_type_last_failed_at_idx', 'job_dlq_job_id_idx']) as name
  where not exists (select 1 from pg_indexes where schemaname = 'public' and tablename = 'job_dlq' and indexname = name);
  if missing is not null then
    raise exception 'job_dlq lacks indexes: %', missing;
  end if;
end $$;

-- check: row level security is enabled on job_dlq
do $$ begin
  if not coalesce((select relrowsecurity from pg_class where oid = to_regclass('public.job_dlq')), false) then
    raise exception 'row level security is not enabled on public.job_dlq';
  end if;
end $$;

-- check: job_dlq has its policies
-- (job_dlq_admin_review, the admins' direct UPDATE, is dropped on purpose by
-- 20261201100200_revoke_job_dlq_client_updates: DLQ changes go through the audited functions.)
do $$
declare missing text;
begin
  select string_agg(name, ', ') into missing
  from unnest(array['job_dlq_service_role_all', 'job_dlq_admin_select']) as name
  where not exists (select 1 from pg_policies where schemaname = 'public' and tablename = 'job_dlq' and policyname = name);
  if missing is not null then
    raise exception 'job_dlq lacks policies: %', missing;
  end if;
end $$;

-- check: trigger job_dlq_updated_at calls update_job_dlq_updated_at()
do $$ begin
  if not exists (select 1 from pg_trigger t
                 where t.tgrelid = to_regclass('public.job_dlq') and t.tgname = 'job_dlq_updated_at'
                   and t.tgfoid = to_regprocedure('public.update_job_dlq_updated_at()')) then
    raise exception 'trigger job_dlq_updated_at with function update_job_dlq_updated_at() is missing';
  end if;
end $$;

-- check: the trigger stamps updated_at on update
do $$
declare entry_id uuid; stamped timestamptz;
begin
  insert into public.job_dlq (job_id, job_type, payload, updated_at)
  values ({{new_job_id}}, 'verify', '{}'::jsonb, now() - interval '1 day')
  returning id into entry_id;
  update public.job_dlq set error_message = 'verify' where id = entry_id returning updated_at into stamped;
  if stamped < now() - interval '1 minute' then
    raise exception 'updating job_dlq did not refresh updated_at';
  end if;
end $$;
