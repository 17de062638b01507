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
  job constant uuid := gen_random_uuid();
begin
  -- The entry holds no row of the job, so the retry inserts one from the kit's columns.
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
  insert into public.job_dlq (job_id, job_type, payload, error_message)
  values (job, 'verify', '{"keep": "whole"}', 'boom') returning id into entry;
  if public.dlq_retry_entry(entry) <> 'requeued' or public.dlq_retry_entry(entry) <> 'not_pending' then
    raise exception 'retrying twice did not give requeued then not_pending';
  end if;
  if (select count(*) from public.qc_jobs where id = job and status = 'pending' and payload = '{"keep": "whole"}') <> 1 then
    raise exception 'the job is not back in qc_jobs exactly once with its payload';
  end if;
  if (select count(*) from public.job_dlq_actions where entry_id = entry and actor is not null) <> 2 then
    raise exception 'the two retries were not both logged';
  end if;
end $$;
