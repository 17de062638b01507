-- Verify 20261125100700_create_job_watchdog.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: reclaim_stale_jobs exists, runs as the caller with an empty search_path, service_role only
do $$
declare
  fn constant text := 'public.reclaim_stale_jobs(interval, integer)';
begin
  if to_regprocedure(fn) is null then
    raise exception 'function % is missing', fn;
  end if;
  if (select prosecdef or not coalesce(proconfig @> array['search_path=""'], false) from pg_proc where oid = to_regprocedure(fn)) then
    raise exception 'function % is SECURITY DEFINER or lacks set search_path = ''''', fn;
  end if;
  if not has_function_privilege('service_role', fn, 'execute')
     or has_function_privilege('anon', fn, 'execute') or has_function_privilege('authenticated', fn, 'execute') then
    raise exception 'function % is not callable by service_role only', fn;
  end if;
end $$;

-- check: a stale running job with JOB_HEARTBEAT on is requeued; a fresh one is left running
do $$
declare
  stale {{job_id_type}};
  fresh {{job_id_type}};
begin
  {{skip_unless_jobs_insertable}}
  -- The flag must have been stable for longer than the threshold; backdate the change (the stamp
  -- trigger would set now()). Disabling a trigger locks feature_flags until the rollback: briefly.
  set local lock_timeout = '2s';
  update public.feature_flags set enabled = true, rollout_percentage = 100 where key = 'JOB_HEARTBEAT';
  alter table public.feature_flags disable trigger feature_flags_stamp;
  update public.feature_flags set updated_at = now() - interval '1 hour' where key = 'JOB_HEARTBEAT';
  alter table public.feature_flags enable trigger feature_flags_stamp;
  insert into public.qc_jobs ({{new_job_id_column}}job_type, status, locked_by, started_at, attempts, max_attempts, last_heartbeat_at)
  values ({{new_job_id_value}}'verify', {{status.running}}, 'dead-worker', now() - interval '1 hour', 1, 3, now() - interval '10 minutes')
  returning id into stale;
  insert into public.qc_jobs ({{new_job_id_column}}job_type, status, locked_by, started_at, attempts, max_attempts, last_heartbeat_at)
  values ({{new_job_id_value}}'verify', {{status.running}}, 'live-worker', now() - interval '1 hour', 1, 3, now())
  returning id into fresh;
  perform public.reclaim_stale_jobs();
  if (select status from public.qc_jobs where id = stale) <> {{status.pending}} then
    raise exception 'the stale job was not requeued';
  end if;
  if (select status from public.qc_jobs where id = fresh) <> {{status.running}} then
    raise exception 'the freshly heartbeated job was reclaimed';
  end if;
end $$;
