-- Verify 20261202120000_add_rollout_job_event_signals.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: rollout_signal_counts returns the four signals
do $$
declare
  names text[];
begin
  select array_agg(signal order by signal) into names
  from public.rollout_signal_counts('VERIFY', 5, '2999-01-01T00:00:00Z', '2999-01-01T00:00:01Z');
  if names is distinct from array['duplicate_execution_rate', 'permanent_failure_rate', 'retry_rate', 'watchdog_rescue_rate'] then
    raise exception 'expected the four signals, got %', names;
  end if;
end $$;

-- The check's jobs finish in a window of their own far in the future, so that a live database's
-- jobs and events never fall in it.

-- check: a watchdog rescue and a duplicate execution count once, an operator's requeue, a retried completion and an earlier rescue do not
do $$
declare
  at constant timestamptz := '2999-01-03T00:00:00Z';
  ids text[] := '{}';
  new_id text;
  i integer;
  rescues record;
  duplicates record;
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
  -- One row per statement: a new id computed from the table must see the previous row.
  for i in 1..5 loop
    insert into public.qc_jobs (job_type, status, attempts, finished_at)
    values ('verify', 'completed', 2, at)
    returning id::text into new_id;
    ids := ids || new_id;
  end loop;
  insert into public.job_events (event, job_id, worker_id, attempt, reason, detail, at) values
    ('watchdog_requeued', ids[1], 'w-dead', 1, 'lease_expired', '{}', at - interval '1 minute'),
    ('completion_refused', ids[2], 'w-old', 1, 'running', '{"held_by": "w-new", "current_attempt": 2}', at),
    ('completion_refused', ids[3], 'w-same', 2, 'completed', '{"held_by": "w-same", "current_attempt": 2}', at),
    ('ops_requeued', ids[4], 'w-stuck', 1, 'operator', '{}', at - interval '1 minute'),
    ('watchdog_requeued', ids[5], 'w-dead', 1, 'lease_expired', '{}', at - interval '2 days');
  select * into rescues from public.rollout_signal_counts('VERIFY', 100, at - interval '1 hour', at + interval '1 second')
   where signal = 'watchdog_rescue_rate';
  select * into duplicates from public.rollout_signal_counts('VERIFY', 100, at - interval '1 hour', at + interval '1 second')
   where signal = 'duplicate_execution_rate';
  if (rescues.canary_jobs, rescues.canary_events, rescues.control_jobs) <> (5::bigint, 1::bigint, 0::bigint) then
    raise exception 'expected 5 canary jobs, 1 rescued by the watchdog; got %', rescues;
  end if;
  if (duplicates.canary_jobs, duplicates.canary_events, duplicates.control_jobs) <> (5::bigint, 1::bigint, 0::bigint) then
    raise exception 'expected 5 canary jobs, 1 executed twice; got %', duplicates;
  end if;
end $$;

-- check: plans may guard on the new signals, except JOB_HEARTBEAT on watchdog rescues
do $$
begin
  insert into public.rollout_plans (flag_key, steps, step_min_durations, guard_signals)
  values ('VERIFY_SIGNALS', '{5,100}', '{1 day,0}', '{permanent_failure_rate,retry_rate,watchdog_rescue_rate,duplicate_execution_rate}');
  if not exists (select 1 from pg_catalog.pg_constraint
                 where conrelid = 'public.rollout_plans'::regclass
                   and conname = 'rollout_job_heartbeat_cannot_guard_on_watchdog_rescues'
                   and pg_catalog.pg_get_constraintdef(oid) like '%JOB_HEARTBEAT%watchdog_rescue_rate%') then
    raise exception 'constraint rollout_job_heartbeat_cannot_guard_on_watchdog_rescues is missing';
  end if;
end $$;
