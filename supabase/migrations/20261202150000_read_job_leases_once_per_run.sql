-- The watchdog reads the leases once per run, instead of calling public.job_max_run_time twice per
-- job; the same jobs are rescued, for the same reason, with the same lease in job_events.
--
-- job_max_run_time is a SQL function with its own search_path (set search_path = ''), which keeps
-- Postgres from inlining it: every call starts an executor for its two lookups in
-- job_type_settings, 3 to 5 µs, about what the flag check beside it costs (job_flag_subject and
-- flag_bucket). The scan called it for every running job quiet for longer than the shortest lease
-- or stale_after: during a JOB_HEARTBEAT canary that is every control job, each minute; and the
-- loop called it again for every job it rescued.
--
-- Now the run reads the '*' row (else 1 hour) once, with the shortest lease it already read, and
-- the scan joins each job to its type's row in job_type_settings (a left join: no row, the '*'
-- lease): job_max_run_time's own rule, its row, else the '*' row, else 1 hour. The plans seen hash
-- the settings rows once and probe the hash per job, about 0.1 µs. The scan returns the lease with
-- the job, so the rescue records the lease the job was judged by.
--
-- What stays the same: the signature, the answers, the order (oldest sign of life first), the
-- limit, and the locks: for update of q locks the jobs only, skip locked skips jobs another
-- transaction holds; job_type_settings is read, never locked. job_max_run_time stays, for
-- list_running_jobs, the ops commands and apps.
--
-- Same signature and grants (create or replace keeps them).
-- Rollback: supabase/rollback/20261202150000_read_job_leases_once_per_run.sql

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
  -- JOB_HEARTBEAT, read once: on for a subject when flag_bucket(heartbeat_group, subject) <
  -- heartbeat_threshold (0 when the flag is disabled or unknown).
  heartbeat_group text;
  heartbeat_threshold numeric;
  heartbeat_rule boolean;
  -- The leases, read once: a job type without a row of its own has default_lease.
  default_lease interval;
  shortest_lease interval;
  earliest timestamptz;
  candidate record;
  lease interval;
  reason text;
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

  -- The heartbeat rule (stale_after) applies where JOB_HEARTBEAT is on, once its answers have been
  -- stable for stale_after: a job the flag just reached has had no chance to heartbeat yet. A
  -- write that changed none of its answers does not count. updated_at bounds it too (the row
  -- cannot have changed after its last update), so history restored with the triggers off counts.
  select least(f.answers_changed_at, f.updated_at),
         f.bucket_group,
         case when f.enabled then pg_catalog.round(f.rollout_percentage * 100) else 0 end
    into flag_changed_at, heartbeat_group, heartbeat_threshold
  from public.feature_flags f where f.key = 'JOB_HEARTBEAT';
  heartbeat_rule := flag_changed_at is not null and flag_changed_at <= cutoff and heartbeat_threshold > 0;
  if flag_changed_at > cutoff then
    raise notice 'JOB_HEARTBEAT changed at %, less than % ago: only expired leases are reclaimed until workers have heartbeated',
      flag_changed_at, stale_after;
  end if;

  select coalesce(pg_catalog.max(s.max_run_time) filter (where s.job_type = '*'), interval '1 hour'),
         pg_catalog.min(s.max_run_time)
    into default_lease, shortest_lease
  from public.job_type_settings s;

  -- No job's last sign of life can be judged dead if it is later than this: the scan's range on
  -- idx_qc_jobs_running_heartbeat, so its cost follows the running jobs that may be dead.
  earliest := pg_catalog.now() - least(
    case when heartbeat_rule then stale_after end,
    shortest_lease,
    interval '1 hour');

  for candidate in
    select q as job, coalesce(s.max_run_time, default_lease) as lease
    from public.qc_jobs q
    left join public.job_type_settings s on s.job_type = q.job_type
    where q.status = 'running'
      and coalesce(q.last_heartbeat_at, q.started_at) < earliest
      and (coalesce(q.last_heartbeat_at, q.started_at) < pg_catalog.now() - coalesce(s.max_run_time, default_lease)
           or (heartbeat_rule
               and coalesce(q.last_heartbeat_at, q.started_at) < cutoff
               and public.flag_bucket(heartbeat_group, public.job_flag_subject(q.tenant_id, q.id)) < heartbeat_threshold))
    order by coalesce(q.last_heartbeat_at, q.started_at)
    limit batch_size
    for update of q skip locked
  loop
    -- Under the row lock, on the row's latest version (a heartbeat may have committed meanwhile).
    job := candidate.job;
    if job.status <> 'running' then
      continue;
    end if;
    last_seen_at := coalesce(job.last_heartbeat_at, job.started_at);
    lease := candidate.lease;
    if heartbeat_rule and last_seen_at < cutoff
       and (public.flag_bucket(heartbeat_group, public.job_flag_subject(job.tenant_id, job.id)) < heartbeat_threshold) then
      reason := 'heartbeat_timeout';
      message := pg_catalog.format('watchdog: worker %s showed no sign of life since %s (attempt %s of %s)',
                                   coalesce(job.locked_by, '?'), last_seen_at, job.attempts, job.max_attempts);
    elsif last_seen_at < pg_catalog.now() - lease then
      reason := 'lease_expired';
      message := pg_catalog.format('watchdog: lease of %s expired: worker %s showed no sign of life since %s (attempt %s of %s)',
                                   lease, coalesce(job.locked_by, '?'), last_seen_at, job.attempts, job.max_attempts);
    else
      continue;
    end if;

    job_id := job.id;
    attempt := job.attempts;
    worker_id := job.locked_by;
    outcome := public.rescue_running_job(job, 'watchdog', reason, message, pg_catalog.jsonb_build_object(
      'reason', reason, 'worker_id', job.locked_by, 'last_seen_at', last_seen_at,
      'stale_after', stale_after::text, 'max_run_time', lease::text, 'previous_error', job.last_error), null);
    return next;
  end loop;
end
$$;

comment on function public.reclaim_stale_jobs(interval, integer) is
  'Watchdog: requeue (attempts left) or fail for good the running jobs whose lease (job_max_run_time) ran out, and, where JOB_HEARTBEAT is on, those quiet for longer than stale_after. Returns one row per job it changed; job_events records each.';
