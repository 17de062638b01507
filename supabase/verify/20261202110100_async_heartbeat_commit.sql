-- Verify 20261202110100_async_heartbeat_commit.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).
-- The runner's transaction has written before the heartbeats below, so they show the other half of
-- the rule: a heartbeat after another write leaves synchronous_commit alone. The first-write half
-- needs a transaction of its own and is in tests/integration/jobs/rpc.test.ts.

-- check: heartbeat_job runs as the caller with an empty search_path, service_role only, and makes a first write's commit asynchronous
do $$
declare
  fn text := 'public.heartbeat_job(uuid, text, integer, interval)';
begin
  if (select prosecdef or not coalesce(proconfig @> array['search_path=""'], false) from pg_proc where oid = to_regprocedure(fn)) then
    raise exception 'heartbeat_job is SECURITY DEFINER or lacks set search_path = ''''';
  end if;
  if not has_function_privilege('service_role', fn, 'execute') or has_function_privilege('authenticated', fn, 'execute') then
    raise exception 'heartbeat_job is not callable by service_role only';
  end if;
  if (select prosrc from pg_proc where oid = to_regprocedure(fn)) not like '%pg_current_xact_id_if_assigned()%set_config(''synchronous_commit'', ''off'', true)%' then
    raise exception 'heartbeat_job does not make the commit of a first write asynchronous (the body of 20261202110100)';
  end if;
end $$;

-- check: after another write, heartbeats are recorded, throttled and refused as before, and synchronous_commit stays as it was
do $$
declare
  job uuid;
  beat record;
  before_setting text := current_setting('synchronous_commit');
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
  if not exists (select 1 from public.claim_jobs('verify-worker', 1000) c where c.id = job) then
    raise exception 'claim_jobs did not claim the pending job';
  end if;
  select * into beat from public.heartbeat_job(job, 'verify-worker');
  if not (beat.owned and beat.recorded and beat.reason = 'recorded') then
    raise exception 'heartbeat_job did not record a heartbeat for its worker: %', beat;
  end if;
  if current_setting('synchronous_commit') is distinct from before_setting then
    raise exception 'a heartbeat after another write changed synchronous_commit from % to %', before_setting, current_setting('synchronous_commit');
  end if;
  select * into beat from public.heartbeat_job(job, 'verify-worker');
  if not beat.owned or beat.recorded or beat.reason <> 'throttled' then
    raise exception 'a second heartbeat within min_interval was not throttled: %', beat;
  end if;
  update public.feature_flags set enabled = false where key = 'JOB_HEARTBEAT';
  select * into beat from public.heartbeat_job(job, 'verify-worker', null, interval '0 seconds');
  if not beat.owned or beat.recorded or beat.reason <> 'flag_off' then
    raise exception 'a heartbeat with JOB_HEARTBEAT off was not answered flag_off: %', beat;
  end if;
  select * into beat from public.heartbeat_job(job, 'someone-else');
  if beat.owned or beat.reason <> 'reclaimed' then
    raise exception 'heartbeat_job accepted a worker that does not hold the job: %', beat;
  end if;
end $$;
