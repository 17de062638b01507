-- The watchdog: rescues running jobs whose worker stopped heartbeating (it crashed, lost its
-- connection, was killed by a deploy).
--
-- A job is stale when coalesce(last_heartbeat_at, started_at) is older than stale_after (default
-- 5 minutes; a job with no heartbeat yet counts from when it started). Stale jobs with attempts
-- left go back to pending; the others fail for good (job_dlq when DLQ_ENABLED is on for them, else
-- failed). The scan goes through idx_qc_jobs_running_heartbeat (partial on running jobs, keyed on
-- that same expression, in the same order), so its cost follows the number of running jobs.
--
-- Which jobs it may touch: only jobs where JOB_HEARTBEAT is on for their subject. Where the flag is
-- off, the heartbeat RPC writes nothing, so a healthy long job would look dead and be run twice.
-- For the same reason, right after the flag changed the watchdog waits one stale_after period
-- before reclaiming anything: a job the flag just reached has had no chance to heartbeat yet.
--
-- Safe with several watchdogs and workers at once: candidates are locked FOR UPDATE SKIP LOCKED,
-- so two watchdogs never take the same job, and a locked row is re-checked on its latest version
-- (READ COMMITTED re-evaluates the WHERE clause after a concurrent update), so a job whose
-- heartbeat committed meanwhile is no longer stale and is left alone; the loop checks it again.
-- Rollback: supabase/rollback/20261125100700_create_job_watchdog.sql

set lock_timeout = '5s';

create or replace function public.reclaim_stale_jobs(
  stale_after interval default interval '5 minutes',
  batch_size integer default 500
)
  returns table (job_id {{job_id_type}}, outcome text, attempt integer, worker_id text, last_seen_at timestamptz)
  language plpgsql
  set search_path = ''
as $$
declare
  cutoff timestamptz;
  flag_changed_at timestamptz;
  job public.qc_jobs;
  message text;
begin
  if stale_after is null or stale_after <= interval '0 seconds' then
    raise exception 'reclaim_stale_jobs: stale_after must be a positive interval, got %', stale_after using errcode = '22023';
  end if;
  if batch_size is null or batch_size < 1 or batch_size > 10000 then
    raise exception 'reclaim_stale_jobs: batch_size must be between 1 and 10000, got %', batch_size using errcode = '22023';
  end if;
  cutoff := pg_catalog.now() - stale_after;

  select f.updated_at into flag_changed_at from public.feature_flags f where f.key = 'JOB_HEARTBEAT';
  if flag_changed_at is null then
    return;  -- no JOB_HEARTBEAT flag: no job heartbeats, none can be judged dead
  end if;
  if flag_changed_at > cutoff then
    raise notice 'JOB_HEARTBEAT changed at %, less than % ago: waiting for workers to heartbeat before reclaiming',
      flag_changed_at, stale_after;
    return;
  end if;

  for job in
    select q.*
    from public.qc_jobs q
    where q.status = {{status.running}}
      and coalesce(q.last_heartbeat_at, q.started_at) < cutoff
      and public.flag_enabled('JOB_HEARTBEAT', {{job_subject:q}})
    order by coalesce(q.last_heartbeat_at, q.started_at)
    limit batch_size
    for update of q skip locked
  loop
    -- Under the row lock, on the row's latest version: still running and still quiet?
    if job.status <> {{status.running}} or coalesce(job.last_heartbeat_at, job.started_at) >= cutoff then
      continue;
    end if;

    job_id := job.id;
    attempt := job.attempts;
    worker_id := job.locked_by;
    last_seen_at := coalesce(job.last_heartbeat_at, job.started_at);
    message := pg_catalog.format('watchdog: worker %s showed no sign of life since %s (attempt %s of %s)',
                                 coalesce(job.locked_by, '?'), last_seen_at, job.attempts, job.max_attempts);

    if job.attempts < job.max_attempts then
      update public.qc_jobs q
         set status = {{status.pending}},
             locked_by = null,
             last_heartbeat_at = null,
             run_after = pg_catalog.now(),
             last_error = message,
             updated_at = pg_catalog.now()
       where q.id = job.id;
      outcome := 'requeued';
    else
      outcome := public.fail_job_for_good(job, message, pg_catalog.jsonb_build_object(
        'reason', 'heartbeat_timeout', 'worker_id', job.locked_by, 'last_seen_at', last_seen_at,
        'stale_after', stale_after::text, 'previous_error', job.last_error));
    end if;
    return next;
  end loop;
end
$$;

comment on function public.reclaim_stale_jobs(interval, integer) is
  'Watchdog: requeue (attempts left) or fail for good the running jobs with JOB_HEARTBEAT on whose last sign of life is older than stale_after. Returns one row per job it changed.';

revoke all on function public.reclaim_stale_jobs(interval, integer) from public, anon, authenticated;
grant execute on function public.reclaim_stale_jobs(interval, integer) to service_role;
