-- Verify 20261125100910_create_dlq_operations.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: DLQ operations exist, run as the caller with an empty search_path, service_role only
do $$
declare
  fn text;
begin
  foreach fn in array array[
    'public.requeue_dead_letter(public.job_dlq, text, text)', 'public.dlq_retry_entry(uuid, text)',
    'public.dlq_redrive(text, timestamptz, timestamptz, integer, text)', 'public.dlq_discard_entry(uuid, text)']
  loop
    if to_regprocedure(fn) is null then
      raise exception 'function % is missing', fn;
    end if;
    if (select prosecdef or not coalesce(proconfig @> array['search_path=""'], false) from pg_proc where oid = to_regprocedure(fn)) then
      raise exception 'function % is SECURITY DEFINER or lacks set search_path = ''''', fn;
    end if;
    if not has_function_privilege('service_role', fn, 'execute')
       or has_function_privilege('anon', fn, 'execute') or has_function_privilege('authenticated', fn, 'execute') then
      raise exception 'function % is not callable by service_role only', fn;
    end if;
  end loop;
end $$;

-- check: retrying an entry twice puts its job back once, and both calls are logged with an actor
do $$
declare
  entry uuid;
  job constant {{job_id_type}} := {{new_job_id}};
begin
  -- The entry holds no row of the job, so the retry inserts one from the kit's columns.
  {{skip_unless_jobs_insertable}}
  insert into public.job_dlq (job_id, job_type, payload, error_message)
  values (job, 'verify', '{"keep": "whole"}', 'boom') returning id into entry;
  if public.dlq_retry_entry(entry) <> 'requeued' or public.dlq_retry_entry(entry) <> 'not_pending' then
    raise exception 'retrying twice did not give requeued then not_pending';
  end if;
  if (select count(*) from public.qc_jobs where id = job and status = {{status.pending}} and payload = '{"keep": "whole"}') <> 1 then
    raise exception 'the job is not back in qc_jobs exactly once with its payload';
  end if;
  if (select count(*) from public.job_dlq_actions where entry_id = entry and actor is not null) <> 2 then
    raise exception 'the two retries were not both logged';
  end if;
end $$;
