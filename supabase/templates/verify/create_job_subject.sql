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
  {{skip_unless_jobs_insertable}}
  insert into public.qc_jobs ({{new_job_id_column}}{{new_job_status_column}}job_type, payload)
  values ({{new_job_id_value}}{{new_job_status_value}}'verify-subject', '{}')
  returning * into job;
  if public.job_subject(job) is distinct from {{job_subject:job}} then
    raise exception 'job_subject gives %, the rule gives %', public.job_subject(job), {{job_subject:job}};
  end if;
end $$;
