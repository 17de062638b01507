-- The RPCs a worker calls: claim, heartbeat, complete, fail. Each is gated in the database by its
-- flag for the job's subject, so that the rollout percentage decides which jobs get the features
-- whatever the worker's code or version.
--
-- The flag subject of a job is coalesce(tenant_id, id::text): a tenant's jobs all land in the
-- same bucket (a canary customer gets every feature for every job), and a job without a tenant is
-- bucketed by its own id. App code computes the same string (client/job-subject.ts) when it asks
-- the feature-flags function about a job.
--
-- Job lifecycle (README, "Job lifecycle"):
--   pending --claim_jobs--> running --complete_job--> completed
--   running --fail_job (retryable, attempts left)--> pending (run_after = now() + delay)
--   running --fail_job (no attempts left, or not retryable)-->
--       DLQ_ENABLED on for the subject:  moved to job_dlq (row deleted from qc_jobs, same transaction)
--       DLQ_ENABLED off:                 failed (the behaviour before the kit)
--   running --heartbeat_job--> running with last_heartbeat_at = now(), only where JOB_HEARTBEAT is on
--
-- All functions are SECURITY INVOKER: the callers (service_role, the pg_cron job's owner) already
-- have the table privileges they need, so no function runs with more rights than its caller.
-- Rollback: supabase/rollback/20261125100610_create_job_worker_rpcs.sql

set lock_timeout = '5s';

-- The subject feature flags bucket a job by.
create or replace function public.job_flag_subject(tenant_id text, job_id {{job_id_type}}) returns text
  language sql immutable parallel safe
  set search_path = ''
as $$
  select {{job_subject_rule}}
$$;

comment on function public.job_flag_subject(text, {{job_id_type}}) is
  'The subject a job is bucketed by for feature flags: its tenant, else its own id.';

-- Fails a job for good, per DLQ_ENABLED for its subject. The caller holds the job's row lock.
-- With the flag on, the job leaves qc_jobs for job_dlq in the caller's transaction: the entry keeps
-- payload, error message and details exactly as given, plus the whole job row (job_snapshot).
-- A job that already has an open entry (it was retried from the DLQ and failed again) reopens that
-- entry instead of adding a second one, so a job is in job_dlq at most once.
create or replace function public.fail_job_for_good(job public.qc_jobs, error_message text, error_details jsonb)
  returns text
  language plpgsql
  set search_path = ''
as $$
begin
  if public.flag_enabled('DLQ_ENABLED', {{job_subject:job}}) then
    insert into public.job_dlq as entry
      (job_id, job_type, payload, error_message, error_details, attempts, job_snapshot)
    values
      (job.id, job.job_type, job.payload, coalesce(error_message, ''), coalesce(error_details, '{}'::jsonb),
       job.attempts, pg_catalog.to_jsonb(job))
    on conflict (job_id) where review_status in ('pending', 'retrying')
    do update set review_status  = 'pending',
                  payload        = excluded.payload,
                  error_message  = excluded.error_message,
                  error_details  = excluded.error_details,
                  attempts       = excluded.attempts,
                  job_snapshot   = excluded.job_snapshot,
                  last_failed_at = pg_catalog.now();
    delete from public.qc_jobs where id = job.id;
    return 'dead_lettered';
  end if;

  update public.qc_jobs
     set status = {{status.failed}}, last_error = error_message, finished_at = pg_catalog.now(), updated_at = pg_catalog.now()
   where id = job.id;
  return 'failed';
end
$$;

comment on function public.fail_job_for_good(public.qc_jobs, text, jsonb) is
  'Internal (called by fail_job and reclaim_stale_jobs under the row lock): dead-letter or mark failed, per DLQ_ENABLED.';

-- Claims up to job_limit runnable pending jobs for a worker. SKIP LOCKED: concurrent claimers
-- never wait for each other and never get the same job.
create or replace function public.claim_jobs(worker_id text, job_limit integer default 1, job_types text[] default null)
  returns setof public.qc_jobs
  language plpgsql
  set search_path = ''
as $$
begin
  if worker_id is null or pg_catalog.btrim(worker_id) = '' then
    raise exception 'claim_jobs: worker_id must be a non-empty string' using errcode = '22023';
  end if;
  if job_limit is null or job_limit < 1 or job_limit > 1000 then
    raise exception 'claim_jobs: job_limit must be between 1 and 1000, got %', job_limit using errcode = '22023';
  end if;

  return query
  with picked as (
    select q.id
    from public.qc_jobs q
    where q.status = {{status.pending}}
      and q.run_after <= pg_catalog.now()
      and (job_types is null or q.job_type = any (job_types))
    order by q.run_after
    limit job_limit
    for update skip locked
  )
  update public.qc_jobs q
     set status = {{status.running}},
         locked_by = worker_id,
         started_at = pg_catalog.now(),
         attempts = q.attempts + 1,
         -- A heartbeat from an earlier attempt must not count for this one.
         last_heartbeat_at = null,
         finished_at = null,
         updated_at = pg_catalog.now()
    from picked
   where q.id = picked.id
  returning q.*;
end
$$;

comment on function public.claim_jobs(text, integer, text[]) is
  'Worker RPC: claim pending jobs (status running, locked_by, started_at, attempts + 1). Pass the returned attempts to the other RPCs.';

-- Records that a worker is still alive on a job, and tells it whether the job is still its own.
--   owned = false: stop working on the job (reason reclaimed, cancelled, finished or gone).
--   recorded = false with owned = true: nothing written, because JOB_HEARTBEAT is off for the
--     job's subject (flag_off) or the last heartbeat is younger than min_interval (throttled),
--     a server-side cap on write cost however often a worker calls.
-- attempt (from claim_jobs) tells this claim from a later claim of the same job by the same worker.
create or replace function public.heartbeat_job(
  job_id {{job_id_type}}, worker_id text, attempt integer default null, min_interval interval default interval '5 seconds'
)
  returns table (owned boolean, recorded boolean, reason text)
  language plpgsql
  set search_path = ''
as $$
declare
  current_job record;
begin
  update public.qc_jobs q
     set last_heartbeat_at = pg_catalog.now()
   where q.id = heartbeat_job.job_id
     and q.status = {{status.running}}
     and q.locked_by = heartbeat_job.worker_id
     and (heartbeat_job.attempt is null or q.attempts = heartbeat_job.attempt)
     and (q.last_heartbeat_at is null or q.last_heartbeat_at <= pg_catalog.now() - heartbeat_job.min_interval)
     and public.flag_enabled('JOB_HEARTBEAT', {{job_subject:q}});
  if found then
    return query select true, true, 'recorded'::text;
    return;
  end if;

  -- Nothing written: say why, from the job as it is now.
  select q.status, q.locked_by, q.attempts, {{job_subject_columns:q}}
    into current_job
  from public.qc_jobs q
  where q.id = heartbeat_job.job_id;

  if not found then
    return query select false, false, 'gone'::text;  -- dead-lettered or deleted
  elsif current_job.status = {{status.running}} and current_job.locked_by = heartbeat_job.worker_id
        and (heartbeat_job.attempt is null or current_job.attempts = heartbeat_job.attempt) then
    return query select true, false,
      case when public.flag_enabled('JOB_HEARTBEAT', {{job_subject:current_job}})
           then 'throttled' else 'flag_off' end;
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
  'Worker RPC: heartbeat a running job (where JOB_HEARTBEAT is on for it). owned = false means stop: the job is no longer this worker''s.';

-- Completes a job, only for the worker that holds it. false: the job is no longer this worker's
-- (reclaimed, cancelled, ...) and its result must be dropped. A job that came back from the DLQ
-- closes its entry as resolved.
create or replace function public.complete_job(job_id {{job_id_type}}, worker_id text, attempt integer default null)
  returns boolean
  language plpgsql
  set search_path = ''
as $$
begin
  update public.qc_jobs q
     set status = {{status.completed}}, finished_at = pg_catalog.now(), updated_at = pg_catalog.now()
   where q.id = complete_job.job_id
     and q.status = {{status.running}}
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

comment on function public.complete_job({{job_id_type}}, text, integer) is
  'Worker RPC: mark a job completed; false when it is no longer this worker''s.';

-- Fails a job: back to pending while it has attempts left and the error is retryable, else for
-- good (fail_job_for_good). Returns retry_scheduled, dead_lettered, failed, or not_owned (the job
-- is no longer this worker's: nothing changed).
create or replace function public.fail_job(
  job_id {{job_id_type}},
  worker_id text,
  error_message text,
  error_details jsonb default '{}'::jsonb,
  retryable boolean default true,
  retry_delay interval default interval '0 seconds',
  attempt integer default null
)
  returns text
  language plpgsql
  set search_path = ''
as $$
declare
  job public.qc_jobs;
begin
  select q.* into job
  from public.qc_jobs q
  where q.id = fail_job.job_id
    and q.status = {{status.running}}
    and q.locked_by = fail_job.worker_id
    and (fail_job.attempt is null or q.attempts = fail_job.attempt)
  for update;
  if not found then
    return 'not_owned';
  end if;

  if coalesce(fail_job.retryable, true) and job.attempts < job.max_attempts then
    update public.qc_jobs q
       set status = {{status.pending}},
           locked_by = null,
           last_heartbeat_at = null,
           run_after = pg_catalog.now() + coalesce(fail_job.retry_delay, interval '0 seconds'),
           last_error = fail_job.error_message,
           updated_at = pg_catalog.now()
     where q.id = job.id;
    return 'retry_scheduled';
  end if;

  job.last_error := fail_job.error_message;
  return public.fail_job_for_good(job, fail_job.error_message, fail_job.error_details);
end
$$;

comment on function public.fail_job({{job_id_type}}, text, text, jsonb, boolean, interval, integer) is
  'Worker RPC: retry a failed job with attempts left, else dead-letter it (DLQ_ENABLED on) or mark it failed.';

-- Workers call these with the secret key (service_role). Nobody else may.
revoke all on function public.job_flag_subject(text, {{job_id_type}}) from public, anon, authenticated;
revoke all on function public.fail_job_for_good(public.qc_jobs, text, jsonb) from public, anon, authenticated;
revoke all on function public.claim_jobs(text, integer, text[]) from public, anon, authenticated;
revoke all on function public.heartbeat_job({{job_id_type}}, text, integer, interval) from public, anon, authenticated;
revoke all on function public.complete_job({{job_id_type}}, text, integer) from public, anon, authenticated;
revoke all on function public.fail_job({{job_id_type}}, text, text, jsonb, boolean, interval, integer) from public, anon, authenticated;
grant execute on function public.job_flag_subject(text, {{job_id_type}}) to service_role;
grant execute on function public.fail_job_for_good(public.qc_jobs, text, jsonb) to service_role;
grant execute on function public.claim_jobs(text, integer, text[]) to service_role;
grant execute on function public.heartbeat_job({{job_id_type}}, text, integer, interval) to service_role;
grant execute on function public.complete_job({{job_id_type}}, text, integer) to service_role;
grant execute on function public.fail_job({{job_id_type}}, text, text, jsonb, boolean, interval, integer) to service_role;
