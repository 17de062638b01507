-- Verify 20261201120200_create_rollout_signals.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: rollout_signal_counts exists for service_role only
do $$ begin
  if to_regprocedure('public.rollout_signal_counts(text, numeric, timestamptz, timestamptz)') is null then
    raise exception 'function public.rollout_signal_counts is missing';
  end if;
  if has_function_privilege('anon', 'public.rollout_signal_counts(text, numeric, timestamptz, timestamptz)', 'execute')
     or not has_function_privilege('service_role', 'public.rollout_signal_counts(text, numeric, timestamptz, timestamptz)', 'execute') then
    raise exception 'rollout_signal_counts is not for service_role only';
  end if;
end $$;

-- The checks' jobs finish in a window of their own far in the future, so that a live database's
-- jobs never fall in it.

-- check: a completed, a failed, a retried and a dead-lettered job are each counted once, in the right cohort
do $$
declare
  at constant timestamptz := '2999-01-01T00:00:00Z';
  counts record;
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
  -- At 100 % every subject is canary; at 0 % every subject is control (whatever the subject).
  -- One row per statement: a new id computed from the table must see the previous row.
  insert into public.qc_jobs (job_type, status, attempts, finished_at)
  values ('verify', 'completed', 1, at);
  insert into public.qc_jobs (job_type, status, attempts, finished_at)
  values ('verify', 'completed', 2, at);
  insert into public.qc_jobs (job_type, status, attempts, finished_at)
  values ('verify', 'failed', 3, at);
  insert into public.job_dlq (job_id, job_type, payload, attempts, first_failed_at, last_failed_at)
  values (gen_random_uuid(), 'verify', '{}', 3, at, at);
  select * into counts from public.rollout_signal_counts('VERIFY', 100, at, at + interval '1 second')
   where signal = 'permanent_failure_rate';
  if (counts.canary_jobs, counts.canary_events, counts.control_jobs) <> (4::bigint, 2::bigint, 0::bigint) then
    raise exception 'at 100 %%: expected 4 canary jobs, 2 failed for good, 0 control; got %', counts;
  end if;
  select * into counts from public.rollout_signal_counts('VERIFY', 0, at, at + interval '1 second')
   where signal = 'retry_rate';
  if (counts.control_jobs, counts.control_events, counts.canary_jobs) <> (4::bigint, 3::bigint, 0::bigint) then
    raise exception 'at 0 %%: expected 4 control jobs, 3 retried, 0 canary; got %', counts;
  end if;
end $$;

-- check: run-time percentiles come from the completed jobs of each cohort
do $$
declare
  at constant timestamptz := '2999-01-02T00:00:00Z';
  runtimes record;
  i integer;
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
  for i in 1..100 loop
    insert into public.qc_jobs (job_type, status, attempts, started_at, finished_at)
    values ('verify', 'completed', 1, at - i * interval '1 second', at);
  end loop;
  select * into runtimes from public.rollout_runtime_percentiles('VERIFY', 100, at, at + interval '1 second')
   where cohort = 'canary';
  if runtimes.completed_jobs <> 100 or abs(runtimes.p50_seconds - 50.5) > 1e-6 or abs(runtimes.p95_seconds - 95.05) > 1e-6 then
    raise exception 'expected 100 completed canary jobs with p50 50.5 s and p95 95.05 s, got %', runtimes;
  end if;
end $$;
