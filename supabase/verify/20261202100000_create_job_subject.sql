-- Verify 20261202100000_create_job_subject.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: job_subject runs as the caller with an empty search_path, service_role only
do $$
declare
  fn text := 'public.job_subject(public.qc_jobs)';
begin
  if to_regprocedure(fn) is null then
    raise exception 'public.job_subject(public.qc_jobs) does not exist';
  end if;
  if (select prosecdef or not coalesce(proconfig @> array['search_path=""'], false) from pg_proc where oid = to_regprocedure(fn)) then
    raise exception 'job_subject is SECURITY DEFINER or lacks set search_path = ''''';
  end if;
  if not has_function_privilege('service_role', fn, 'execute') or has_function_privilege('authenticated', fn, 'execute')
     or has_function_privilege('anon', fn, 'execute') then
    raise exception 'job_subject is not callable by service_role only';
  end if;
end $$;

-- check: a job's subject is the one the worker RPCs and the watchdog bucket it by
do $$
declare
  job public.qc_jobs;
begin
  -- A job insert fills only the kit's columns: with a NOT NULL column of the app's own and no
  -- default (a foreign key, a tenant), no insert can succeed, so the check says why it skipped.
  perform pg_catalog.set_config('kit_verify.skipped', coalesce(
    'qc_jobs.' || (select pg_catalog.string_agg(a.attname, ', qc_jobs.' order by a.attnum)
                   from pg_catalog.pg_attribute a
                   left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                   where a.attrelid = 'public.qc_jobs'::regclass and a.attnum > 0 and not a.attisdropped
                     and a.attnotnull and d.adbin is null and a.attidentity = '' and a.attgenerated = ''
                     and a.attname <> all (array['id', 'status', 'last_heartbeat_at', 'job_type', 'payload', 'attempts', 'max_attempts', 'locked_by', 'run_after', 'started_at', 'finished_at', 'last_error', 'updated_at']))
    || ': NOT NULL without a default, which this check cannot fill in the rows it inserts; skipped', ''), true);
  if pg_catalog.current_setting('kit_verify.skipped') <> '' then
    raise notice 'skipped: %', pg_catalog.current_setting('kit_verify.skipped');
    return;
  end if;
  insert into public.qc_jobs (job_type, payload)
  values ('verify-subject', '{}')
  returning * into job;
  if public.job_subject(job) is distinct from public.job_flag_subject(job.tenant_id, job.id) then
    raise exception 'job_subject gives %, the rule gives %', public.job_subject(job), public.job_flag_subject(job.tenant_id, job.id);
  end if;
end $$;
