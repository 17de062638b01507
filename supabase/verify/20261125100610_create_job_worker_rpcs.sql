-- Verify 20261125100610_create_job_worker_rpcs.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: worker RPCs exist, run as the caller with an empty search_path, and only service_role may call them
do $$
declare
  fn text;
begin
  foreach fn in array array[
    'public.job_flag_subject(text, uuid)', 'public.fail_job_for_good(public.qc_jobs, text, jsonb)',
    'public.claim_jobs(text, integer, text[])', 'public.heartbeat_job(uuid, text, integer, interval)',
    'public.complete_job(uuid, text, integer)', 'public.fail_job(uuid, text, text, jsonb, boolean, interval, integer)']
  loop
    if to_regprocedure(fn) is null then
      raise exception 'function % is missing', fn;
    end if;
    if (select prosecdef or not coalesce(proconfig @> array['search_path=""'], false) from pg_proc where oid = to_regprocedure(fn)) then
      raise exception 'function % is SECURITY DEFINER or lacks set search_path = ''''', fn;
    end if;
    if not has_function_privilege('service_role', fn, 'execute')
       or has_function_privilege('anon', fn, 'execute')
       or has_function_privilege('authenticated', fn, 'execute') then
      raise exception 'function % is not callable by service_role only', fn;
    end if;
  end loop;
end $$;

-- check: a job is claimed, heartbeated (JOB_HEARTBEAT on) and completed by its worker only
do $$
declare
  job uuid;
  beat record;
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
  update public.feature_flags set enabled = true, rollout_percentage = 100 where key = 'JOB_HEARTBEAT';
  insert into public.qc_jobs (job_type, payload, run_after) values ('verify', '{"n": 1}', now() - interval '1 hour')
  returning id into job;
  if not exists (select 1 from public.claim_jobs('verify-worker', 1000) c where c.id = job and c.status = 'running') then
    raise exception 'claim_jobs did not claim the pending job';
  end if;
  select * into beat from public.heartbeat_job(job, 'verify-worker', null, interval '0 seconds');
  if not (beat.owned and beat.recorded) or (select last_heartbeat_at from public.qc_jobs where id = job) is null then
    raise exception 'heartbeat_job did not record a heartbeat for its worker: %', beat;
  end if;
  if (select owned from public.heartbeat_job(job, 'someone-else')) then
    raise exception 'heartbeat_job accepted a worker that does not hold the job';
  end if;
  if public.complete_job(job, 'someone-else') or not public.complete_job(job, 'verify-worker') then
    raise exception 'complete_job did not complete for the owner only';
  end if;
end $$;
