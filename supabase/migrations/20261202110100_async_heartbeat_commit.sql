-- A recorded heartbeat no longer waits for its commit to reach the disk.
--
-- With JOB_HEARTBEAT on, every heartbeat_job that records writes a row and commits it. On a
-- server with synchronous_commit on (the default, also on Supabase) a commit that wrote waits for
-- the WAL to be flushed to disk, and that flush, not the row write, is what a heartbeat cost: the
-- worker cycle claim + heartbeat + complete waited for three flushes with the flag on and two with
-- it off, the heartbeat's third one making the cycle about a fifth slower.
--
-- A heartbeat is a liveness hint that the next heartbeat replaces a few seconds later, so its
-- commit need not wait: when the heartbeat is the first write of its transaction (a call of its
-- own, as a worker or PostgREST makes it), heartbeat_job sets synchronous_commit off for that
-- transaction. The heartbeat is visible to every session at once, as before; what changes is only
-- that a server crash in the next fraction of a second (up to three times wal_writer_delay) can
-- lose it, and the database stays consistent (PostgreSQL's asynchronous commit). A heartbeat lost
-- that way makes the job look at most that much older to the watchdog, which waits stale_after
-- (minutes) before it acts. A transaction that wrote something before the heartbeat keeps the
-- caller's synchronous_commit, so the heartbeat never weakens the durability of other writes
-- made before it in the same transaction; a caller that writes more after a heartbeat in the same
-- transaction gets the asynchronous commit for those writes too (call heartbeat_job on its own).
--
-- Why not fewer index writes instead: a heartbeat update can never be HOT while an index names
-- last_heartbeat_at, and the watchdog's idx_qc_jobs_running_heartbeat must (it finds the jobs by
-- their last sign of life), so each heartbeat adds an entry to every index of qc_jobs. Measured
-- with asynchronous commit, that index work costs the cycle far less than the flush did.
--
-- Same signature, answers and grants (create or replace keeps them).
-- Rollback: supabase/rollback/20261202110100_async_heartbeat_commit.sql

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
  -- No transaction id yet: nothing was written before this heartbeat in its transaction.
  first_write boolean := pg_catalog.pg_current_xact_id_if_assigned() is null;
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
    if first_write then
      -- For this transaction only (is_local): the commit does not wait for the WAL flush.
      perform pg_catalog.set_config('synchronous_commit', 'off', true);
    end if;
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
  'Worker RPC: heartbeat a running job (where JOB_HEARTBEAT is on for it). owned = false means stop: the job is no longer this worker''s. A heartbeat that is its transaction''s first write commits asynchronously.';
