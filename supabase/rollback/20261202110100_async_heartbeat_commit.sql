-- Roll back 20261202110100_async_heartbeat_commit: heartbeat_job as 20261125100610 created it
-- (every recorded heartbeat waits for its commit's WAL flush). Same signature, answers and grants.
set lock_timeout = '5s';

create or replace function public.heartbeat_job(
  job_id uuid, worker_id text, attempt integer default null, min_interval interval default interval '5 seconds'
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
     and q.status = 'running'
     and q.locked_by = heartbeat_job.worker_id
     and (heartbeat_job.attempt is null or q.attempts = heartbeat_job.attempt)
     and (q.last_heartbeat_at is null or q.last_heartbeat_at <= pg_catalog.now() - heartbeat_job.min_interval)
     and public.flag_enabled('JOB_HEARTBEAT', public.job_flag_subject(q.tenant_id, q.id));
  if found then
    return query select true, true, 'recorded'::text;
    return;
  end if;

  -- Nothing written: say why, from the job as it is now.
  select q.status, q.locked_by, q.attempts, q.tenant_id, q.id
    into current_job
  from public.qc_jobs q
  where q.id = heartbeat_job.job_id;

  if not found then
    return query select false, false, 'gone'::text;  -- dead-lettered or deleted
  elsif current_job.status = 'running' and current_job.locked_by = heartbeat_job.worker_id
        and (heartbeat_job.attempt is null or current_job.attempts = heartbeat_job.attempt) then
    return query select true, false,
      case when public.flag_enabled('JOB_HEARTBEAT', public.job_flag_subject(current_job.tenant_id, current_job.id))
           then 'throttled' else 'flag_off' end;
  else
    return query select false, false,
      case current_job.status
        when 'cancelled' then 'cancelled'
        when 'completed' then 'finished'
        when 'failed' then 'finished'
        else 'reclaimed'
      end;
  end if;
end
$$;

comment on function public.heartbeat_job(uuid, text, integer, interval) is
  'Worker RPC: heartbeat a running job (where JOB_HEARTBEAT is on for it). owned = false means stop: the job is no longer this worker''s.';
