-- Roll back 20261202160000_inline_job_flag_subject: reclaim_stale_jobs as
-- 20261202150000_read_job_leases_once_per_run made it and heartbeat_job as
-- 20261202140000_read_job_flags_once_per_statement made it, calling public.job_flag_subject per
-- job. Same signatures, answers and grants.
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
    where q.status = {{status.running}}
      and coalesce(q.last_heartbeat_at, q.started_at) < earliest
      and (coalesce(q.last_heartbeat_at, q.started_at) < pg_catalog.now() - coalesce(s.max_run_time, default_lease)
           or (heartbeat_rule
               and coalesce(q.last_heartbeat_at, q.started_at) < cutoff
               and public.flag_bucket(heartbeat_group, {{job_subject:q}}) < heartbeat_threshold))
    order by coalesce(q.last_heartbeat_at, q.started_at)
    limit batch_size
    for update of q skip locked
  loop
    -- Under the row lock, on the row's latest version (a heartbeat may have committed meanwhile).
    job := candidate.job;
    if job.status <> {{status.running}} then
      continue;
    end if;
    last_seen_at := coalesce(job.last_heartbeat_at, job.started_at);
    lease := candidate.lease;
    if heartbeat_rule and last_seen_at < cutoff
       and (public.flag_bucket(heartbeat_group, {{job_subject:job}}) < heartbeat_threshold) then
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

create or replace function public.heartbeat_job(
  job_id {{job_id_type}}, worker_id text, attempt integer default null, min_interval interval default interval '5 seconds'
)
  returns table (owned boolean, recorded boolean, reason text)
  language plpgsql
  set search_path = ''
as $$
declare
  current_job record;
  -- No transaction id yet: nothing was written before this heartbeat in its transaction.
  first_write boolean := pg_catalog.pg_current_xact_id_if_assigned() is null;
begin
  -- JOB_HEARTBEAT's row joined once: no row when the flag is unknown, disabled or at 0 %.
  update public.qc_jobs q
     set last_heartbeat_at = pg_catalog.now()
    from (select f.bucket_group, pg_catalog.round(f.rollout_percentage * 100) as threshold
          from public.feature_flags f
          where f.key = 'JOB_HEARTBEAT' and f.enabled and pg_catalog.round(f.rollout_percentage * 100) > 0) as flag
   where q.id = heartbeat_job.job_id
     and q.status = {{status.running}}
     and q.locked_by = heartbeat_job.worker_id
     and (heartbeat_job.attempt is null or q.attempts = heartbeat_job.attempt)
     and (q.last_heartbeat_at is null or q.last_heartbeat_at <= pg_catalog.now() - heartbeat_job.min_interval)
     and public.flag_bucket(flag.bucket_group, {{job_subject:q}}) < flag.threshold;
  if found then
    if first_write then
      -- For this transaction only (is_local): the commit does not wait for the WAL flush.
      perform pg_catalog.set_config('synchronous_commit', 'off', true);
    end if;
    return query select true, true, 'recorded'::text;
    return;
  end if;

  -- Nothing written: say why, from the job as it is now (and the flag, read with it).
  select q.status, q.locked_by, q.attempts,
         coalesce(public.flag_bucket(flag.bucket_group, {{job_subject:q}}) < flag.threshold, false) as heartbeat_on
    into current_job
  from public.qc_jobs q
  left join (select f.bucket_group, pg_catalog.round(f.rollout_percentage * 100) as threshold
             from public.feature_flags f
             where f.key = 'JOB_HEARTBEAT' and f.enabled and pg_catalog.round(f.rollout_percentage * 100) > 0) as flag on true
  where q.id = heartbeat_job.job_id;

  if not found then
    return query select false, false, 'gone'::text;  -- dead-lettered or deleted
  elsif current_job.status = {{status.running}} and current_job.locked_by = heartbeat_job.worker_id
        and (heartbeat_job.attempt is null or current_job.attempts = heartbeat_job.attempt) then
    return query select true, false,
      case when current_job.heartbeat_on then 'throttled' else 'flag_off' end;
  else
    return query select false, false,
      case current_job.status
        when {{status.cancelled}} then 'cancelled'
        when {{status.completed}} then 'finished'
        when {{status.failed}} then 'finished'
        else 'reclaimed'
      end;
  end if;
end
$$;

comment on function public.heartbeat_job({{job_id_type}}, text, integer, interval) is
  'Worker RPC: heartbeat a running job (where JOB_HEARTBEAT is on for it). owned = false means stop: the job is no longer this worker''s. A heartbeat that is its transaction''s first write commits asynchronously.';
