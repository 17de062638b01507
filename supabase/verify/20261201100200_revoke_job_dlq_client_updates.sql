-- Verify 20261201100200_revoke_job_dlq_client_updates.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: no client role may update job_dlq, and no policy lets one
do $$ begin
  if has_any_column_privilege('authenticated', 'public.job_dlq', 'update') or has_any_column_privilege('anon', 'public.job_dlq', 'update') then
    raise exception 'a client role may still UPDATE public.job_dlq';
  end if;
  if exists (select 1 from pg_policies where schemaname = 'public' and tablename = 'job_dlq'
             and cmd in ('UPDATE', 'ALL') and roles && array['authenticated', 'anon', 'public']::name[]) then
    raise exception 'a policy still lets a client role update public.job_dlq';
  end if;
end $$;

-- check: admins still read the queue
do $$ begin
  if not has_table_privilege('authenticated', 'public.job_dlq', 'select') then
    raise exception 'authenticated lost SELECT on public.job_dlq';
  end if;
end $$;
