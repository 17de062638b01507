-- Roll back 20261201100100_add_job_lease: the watchdog and complete_job as they were before it
-- (20261125100700_create_job_watchdog, 20261125100610_create_job_worker_rpcs), and the lease's
-- settings, its record of rescues (job_events; `npm run ops -- backup` keeps it first) and its
-- functions dropped.
set lock_timeout = '5s';

create or replace function public.reclaim_stale_jobs(
  stale_after interval default interval '5 minutes',
  batch_size integer default 500
)
  returns table (job_id uuid, outcome text, attempt integer, worker_id text, last_seen_at timestamptz)
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
    where q.status = 'running'
      and coalesce(q.last_heartbeat_at, q.started_at) < cutoff
      and public.flag_enabled('JOB_HEARTBEAT', public.job_flag_subject(q.tenant_id, q.id))
    order by coalesce(q.last_heartbeat_at, q.started_at)
    limit batch_size
    for update of q skip locked
  loop
    -- Under the row lock, on the row's latest version: still running and still quiet?
    if job.status <> 'running' or coalesce(job.last_heartbeat_at, job.started_at) >= cutoff then
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
         set status = 'pending',
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

-- Completes a job, only for the worker that holds it. false: the job is no longer this worker's
-- (reclaimed, cancelled, ...) and its result must be dropped. A job that came back from the DLQ
-- closes its entry as resolved.
create or replace function public.complete_job(job_id uuid, worker_id text, attempt integer default null)
  returns boolean
  language plpgsql
  set search_path = ''
as $$
begin
  update public.qc_jobs q
     set status = 'completed', finished_at = pg_catalog.now(), updated_at = pg_catalog.now()
   where q.id = complete_job.job_id
     and q.status = 'running'
     and q.locked_by = complete_job.worker_id
     and (complete_job.attempt is null or q.attempts = complete_job.attempt);
  if not found then
    return false;
  end if;

  update public.job_dlq d
     set review_status = 'resolved',
         resolved_at = pg_catalog.now(),
         resolved_by = 'worker:' || complete_job.worker_id,
         resolution_note = 'completed after retry'
   where d.job_id = complete_job.job_id and d.review_status = 'retrying';
  return true;
end
$$;

comment on function public.complete_job(uuid, text, integer) is
  'Worker RPC: mark a job completed; false when it is no longer this worker''s.';

drop function if exists public.requeue_stuck_jobs(interval, text, text, integer);
drop function if exists public.list_running_jobs(integer);
drop function if exists public.release_job(uuid, text, integer);
drop function if exists public.rescue_running_job(public.qc_jobs, text, text, text, jsonb, text);
drop function if exists public.job_max_run_time(text);
drop table if exists public.job_events;
drop table if exists public.job_type_settings;
