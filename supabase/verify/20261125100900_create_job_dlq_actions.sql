-- Verify 20261125100900_create_job_dlq_actions.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: job_dlq_actions exists with row level security on
do $$ begin
  if not coalesce((select relrowsecurity from pg_class where oid = to_regclass('public.job_dlq_actions')), false) then
    raise exception 'public.job_dlq_actions is missing or has row level security off';
  end if;
end $$;

-- check: only service_role may read or append to job_dlq_actions, and nobody may edit it
do $$ begin
  if has_table_privilege('anon', 'public.job_dlq_actions', 'select')
     or has_table_privilege('authenticated', 'public.job_dlq_actions', 'select')
     or has_table_privilege('service_role', 'public.job_dlq_actions', 'update')
     or has_table_privilege('service_role', 'public.job_dlq_actions', 'delete')
     or not has_table_privilege('service_role', 'public.job_dlq_actions', 'insert') then
    raise exception 'job_dlq_actions grants are wrong';
  end if;
end $$;
