-- Verify 20261202170000_inline_rollout_cohort.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: the guard's signal functions compute the cohort inline instead of calling rollout_cohort and job_flag_subject per job; caller's rights, empty search_path, service_role only
do $$
declare
  fn text;
begin
  foreach fn in array array['public.rollout_signal_counts(text, numeric, timestamptz, timestamptz)',
                            'public.rollout_runtime_percentiles(text, numeric, timestamptz, timestamptz)'] loop
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
    if (select prosrc from pg_proc where oid = to_regprocedure(fn)) ~ '(rollout_cohort|job_flag_subject)\(' then
      raise exception 'function % still calls rollout_cohort or job_flag_subject per job (the body before 20261202170000)', fn;
    end if;
  end loop;
end $$;

-- The check's jobs finish in a window of their own far in the future, so that a live database's
-- jobs never fall in it.

-- check: at 50 %, both functions put exactly the jobs rollout_cohort puts in each cohort
do $$
declare
  at constant timestamptz := '2999-01-04T00:00:00Z';
  i integer;
  expected record;
  counted record;
  runtimes record;
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
  -- One row per statement: a new id computed from the table must see the previous row. Each
  -- status word in an insert of its own: a CASE of two literals would be text, not the column's
  -- type where that is an enum.
  for i in 1..40 loop
    if i % 4 = 0 then
      insert into public.qc_jobs (job_type, status, attempts, started_at, finished_at)
      values ('verify-inline-cohort', 'failed', 1 + i % 3, at - i * interval '1 second', at);
    else
      insert into public.qc_jobs (job_type, status, attempts, started_at, finished_at)
      values ('verify-inline-cohort', 'completed', 1 + i % 3, at - i * interval '1 second', at);
    end if;
  end loop;
  select pg_catalog.count(*) filter (where c.cohort = 'canary') as canary,
         pg_catalog.count(*) filter (where c.cohort = 'canary' and q.status = 'failed') as canary_failed,
         pg_catalog.count(*) filter (where c.cohort = 'control') as control,
         pg_catalog.count(*) filter (where c.cohort = 'control' and q.status = 'failed') as control_failed,
         pg_catalog.count(*) filter (where c.cohort = 'canary' and q.status = 'completed') as canary_completed
    into expected
  from public.qc_jobs q
  cross join lateral (select public.rollout_cohort('VERIFY', public.job_flag_subject(q.tenant_id, q.id), 50) as cohort) as c
  where q.job_type = 'verify-inline-cohort';
  if expected.canary not between 1 and 39 then
    raise exception 'expected a canary of some of the 40 jobs at 50 %%, rollout_cohort put % in it', expected.canary;
  end if;
  select * into counted from public.rollout_signal_counts('VERIFY', 50, at, at + interval '1 second')
   where signal = 'permanent_failure_rate';
  if (counted.canary_jobs, counted.canary_events, counted.control_jobs, counted.control_events)
     <> (expected.canary, expected.canary_failed, expected.control, expected.control_failed) then
    raise exception 'rollout_signal_counts counted %, rollout_cohort puts %', counted, expected;
  end if;
  select * into runtimes from public.rollout_runtime_percentiles('VERIFY', 50, at, at + interval '1 second')
   where cohort = 'canary';
  if runtimes.completed_jobs <> expected.canary_completed then
    raise exception 'rollout_runtime_percentiles counted % completed canary jobs, rollout_cohort puts %', runtimes.completed_jobs, expected.canary_completed;
  end if;
end $$;
