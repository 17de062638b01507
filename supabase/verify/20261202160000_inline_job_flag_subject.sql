-- Verify 20261202160000_inline_job_flag_subject.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: the watchdog and heartbeat_job compute the subject inline instead of calling job_flag_subject per job; caller's rights, empty search_path, service_role only
do $$
declare
  fn text;
begin
  foreach fn in array array['public.reclaim_stale_jobs(interval, integer)',
                            'public.heartbeat_job(uuid, text, integer, interval)'] loop
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
    if (select prosrc from pg_proc where oid = to_regprocedure(fn)) like '%job_flag_subject(%' then
      raise exception 'function % still calls job_flag_subject per job (the body before 20261202160000)', fn;
    end if;
  end loop;
end $$;

-- check: the inline subject is job_flag_subject's for the jobs in qc_jobs (up to 10,000 of them)
do $$
declare
  differing text;
begin
  select pg_catalog.string_agg(q.id::text || ': ' || coalesce(coalesce(q.tenant_id, q.id::text), 'null') || ' <> '
                               || coalesce(public.job_flag_subject(q.tenant_id, q.id), 'null'), ', ')
    into differing
  from (select * from public.qc_jobs limit 10000) as q
  where coalesce(q.tenant_id, q.id::text) is distinct from public.job_flag_subject(q.tenant_id, q.id);
  if differing is not null then
    raise exception 'the inline subject differs from job_flag_subject for jobs %', differing;
  end if;
end $$;

-- check: with JOB_HEARTBEAT at 50 %, the watchdog rescues exactly the quiet jobs flag_enabled puts in the canary, and heartbeat_job records exactly theirs
do $$
declare
  expected text[];
  rescued text[];
  recorded text[];
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
  -- The flag must have been stable for longer than stale_after; backdate the change (the stamp
  -- trigger would set now()). Disabling a trigger locks feature_flags until the rollback: briefly.
  set local lock_timeout = '2s';
  update public.feature_flags set enabled = true, rollout_percentage = 50 where key = 'JOB_HEARTBEAT';
  alter table public.feature_flags disable trigger feature_flags_stamp;
  update public.feature_flags set updated_at = now() - interval '1 hour' where key = 'JOB_HEARTBEAT';
  alter table public.feature_flags enable trigger feature_flags_stamp;
  -- Quiet for 10 minutes, well within a one-hour lease: only the heartbeat rule can rescue them.
  insert into public.job_type_settings (job_type, max_run_time) values ('verify-subject-inline', interval '1 hour')
  on conflict (job_type) do update set max_run_time = excluded.max_run_time;
  for i in 1..40 loop
    insert into public.qc_jobs (job_type, status, locked_by, started_at, attempts, max_attempts, last_heartbeat_at)
    values ('verify-subject-inline', 'running', 'quiet-worker', now() - interval '20 minutes', 1, 3, now() - interval '10 minutes');
  end loop;
  select pg_catalog.array_agg(q.id::text order by q.id::text) into expected
  from public.qc_jobs q
  where q.job_type = 'verify-subject-inline' and public.flag_enabled('JOB_HEARTBEAT', public.job_flag_subject(q.tenant_id, q.id));
  if coalesce(pg_catalog.cardinality(expected), 0) not between 1 and 39 then
    raise exception 'expected a canary of some of the 40 jobs at 50 %%, flag_enabled put % on', coalesce(pg_catalog.cardinality(expected), 0);
  end if;

  select pg_catalog.array_agg(q.id::text order by q.id::text) into recorded
  from public.qc_jobs q
  cross join lateral public.heartbeat_job(q.id, q.locked_by, null, interval '0 seconds') as beat
  where q.job_type = 'verify-subject-inline' and beat.recorded;
  if recorded is distinct from expected then
    raise exception 'heartbeat_job recorded heartbeats for % jobs, flag_enabled puts % on', coalesce(pg_catalog.cardinality(recorded), 0), pg_catalog.cardinality(expected);
  end if;
  update public.qc_jobs set last_heartbeat_at = now() - interval '10 minutes' where job_type = 'verify-subject-inline';

  select pg_catalog.array_agg(r.job_id::text order by r.job_id::text) into rescued
  from public.reclaim_stale_jobs(interval '5 minutes', 10000) r
  join public.qc_jobs q on q.id = r.job_id
  where q.job_type = 'verify-subject-inline';
  if rescued is distinct from expected then
    raise exception 'the watchdog rescued % quiet jobs, flag_enabled puts % on', coalesce(pg_catalog.cardinality(rescued), 0), pg_catalog.cardinality(expected);
  end if;
end $$;
