-- Verify 20261201100100_add_job_lease.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: settings and events tables with row level security; the record is append-only for service_role
do $$ begin
  if (select count(*) from pg_class
      where oid in (to_regclass('public.job_type_settings'), to_regclass('public.job_events')) and relrowsecurity) <> 2 then
    raise exception 'job_type_settings or job_events is missing or has row level security off';
  end if;
  if has_table_privilege('service_role', 'public.job_events', 'update') or has_table_privilege('service_role', 'public.job_events', 'delete')
     or has_table_privilege('authenticated', 'public.job_events', 'select') or has_table_privilege('anon', 'public.job_type_settings', 'select') then
    raise exception 'job_events can be edited, or a client role can read the lease tables';
  end if;
end $$;

-- check: the lease functions run as the caller with an empty search_path, service_role only
do $$
declare
  fn text;
begin
  foreach fn in array array['public.job_max_run_time(text)', 'public.list_running_jobs(integer)',
                            'public.requeue_stuck_jobs(interval, text, text, integer)',
                            'public.reclaim_stale_jobs(interval, integer)'] loop
    if to_regprocedure(fn) is null then
      raise exception 'function % is missing', fn;
    end if;
    if (select prosecdef or not coalesce(proconfig @> array['search_path=""'], false) from pg_proc where oid = to_regprocedure(fn)) then
      raise exception 'function % is SECURITY DEFINER or lacks set search_path = ''''', fn;
    end if;
    if not has_function_privilege('service_role', fn, 'execute') or has_function_privilege('authenticated', fn, 'execute') then
      raise exception 'function % is not callable by service_role only', fn;
    end if;
  end loop;
end $$;

-- check: with JOB_HEARTBEAT off, a job past its lease is requeued and recorded; one within it stays running
do $$
declare
  expired {{job_id_type}};
  within {{job_id_type}};
begin
  {{skip_unless_jobs_insertable}}
  update public.feature_flags set enabled = false where key = 'JOB_HEARTBEAT';
  insert into public.job_type_settings (job_type, max_run_time) values ('verify-lease', interval '10 minutes');
  insert into public.qc_jobs ({{new_job_id_column}}job_type, status, locked_by, started_at, attempts, max_attempts)
  values ({{new_job_id_value}}'verify-lease', {{status.running}}, 'dead-worker', now() - interval '11 minutes', 1, 3)
  returning id into expired;
  insert into public.qc_jobs ({{new_job_id_column}}job_type, status, locked_by, started_at, attempts, max_attempts)
  values ({{new_job_id_value}}'verify-lease', {{status.running}}, 'live-worker', now() - interval '9 minutes', 1, 3)
  returning id into within;
  perform public.reclaim_stale_jobs();
  if (select status from public.qc_jobs where id = expired) <> {{status.pending}} then
    raise exception 'the job past its lease was not requeued';
  end if;
  if (select status from public.qc_jobs where id = within) <> {{status.running}} then
    raise exception 'the job within its lease was reclaimed';
  end if;
  if not exists (select 1 from public.job_events
                 where job_id = expired::text and event = 'watchdog_requeued' and reason = 'lease_expired' and attempt = 1) then
    raise exception 'the lease rescue was not recorded in job_events';
  end if;
end $$;

-- check: a completion by a worker that no longer holds the job is refused and recorded
do $$
declare
  job {{job_id_type}};
begin
  {{skip_unless_jobs_insertable}}
  insert into public.qc_jobs ({{new_job_id_column}}job_type, status, locked_by, started_at, attempts, max_attempts)
  values ({{new_job_id_value}}'verify-lease', {{status.running}}, 'new-owner', now(), 2, 3)
  returning id into job;
  if public.complete_job(job, 'old-owner', 1) then
    raise exception 'a completion by a worker that no longer holds the job was accepted';
  end if;
  if not exists (select 1 from public.job_events where job_id = job::text and event = 'completion_refused' and worker_id = 'old-owner') then
    raise exception 'the refused completion was not recorded';
  end if;
end $$;
