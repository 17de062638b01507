-- Verify 20261202150000_read_job_leases_once_per_run.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: the watchdog reads the leases itself instead of calling job_max_run_time per job; caller's rights, empty search_path, service_role only
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
  if (select prosrc from pg_proc where oid = to_regprocedure(fn)) like '%job_max_run_time(%' then
    raise exception 'function % still calls job_max_run_time per job (the body before 20261202150000)', fn;
  end if;
end $$;

-- check: the watchdog rescues exactly the jobs whose lease job_max_run_time says ran out, a type with its own row and one under '*', and records that lease
do $$
declare
  expected text[];
  rescued text[];
  returned text[];
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
  set local lock_timeout = '2s';
  -- The heartbeat rule off: only leases can rescue.
  update public.feature_flags set enabled = false where key = 'JOB_HEARTBEAT';
  insert into public.job_type_settings (job_type, max_run_time)
  values ('verify-lease-own', interval '10 minutes'), ('*', interval '20 minutes')
  on conflict (job_type) do update set max_run_time = excluded.max_run_time;
  -- verify-lease-default has no row of its own: the '*' row's lease. Quiet for 1 to 30 minutes.
  for i in 1..30 loop
    insert into public.qc_jobs (job_type, status, locked_by, started_at, attempts, max_attempts)
    values (case when i % 2 = 0 then 'verify-lease-own' else 'verify-lease-default' end,
            'running', 'quiet-worker', now() - i * interval '1 minute', 1, 3);
  end loop;
  select pg_catalog.array_agg(q.id::text || ' lease_expired ' || public.job_max_run_time(q.job_type)::text order by q.id::text) into expected
  from public.qc_jobs q
  where q.job_type in ('verify-lease-own', 'verify-lease-default')
    and q.started_at < now() - public.job_max_run_time(q.job_type);
  if coalesce(pg_catalog.cardinality(expected), 0) not between 1 and 29 then
    raise exception 'expected some of the 30 jobs past their lease, job_max_run_time says % are', coalesce(pg_catalog.cardinality(expected), 0);
  end if;

  select pg_catalog.array_agg(r.job_id::text order by r.job_id::text) into returned
  from public.reclaim_stale_jobs(interval '5 minutes', 10000) r
  join public.qc_jobs q on q.id = r.job_id
  where q.job_type in ('verify-lease-own', 'verify-lease-default');
  -- Read after the run (its own statement sees the events the run appended).
  select pg_catalog.array_agg(e.job_id || ' ' || e.reason || ' ' || (e.detail ->> 'max_run_time') order by e.job_id) into rescued
  from public.job_events e
  where e.job_type in ('verify-lease-own', 'verify-lease-default') and e.event like 'watchdog\_%';
  if rescued is distinct from expected then
    raise exception 'the watchdog rescued % (job, reason, lease), job_max_run_time says %', rescued, expected;
  end if;
  if returned is distinct from (select pg_catalog.array_agg(pg_catalog.split_part(x, ' ', 1) order by pg_catalog.split_part(x, ' ', 1))
                               from pg_catalog.unnest(expected) x) then
    raise exception 'the watchdog returned % jobs, job_max_run_time says % are past their lease',
      coalesce(pg_catalog.cardinality(returned), 0), pg_catalog.cardinality(expected);
  end if;
end $$;
