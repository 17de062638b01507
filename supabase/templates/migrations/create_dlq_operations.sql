-- Operations on the dead-letter queue: retry one entry, redrive many, discard with a reason.
--
-- Putting a job back: dead-lettering deleted the job from qc_jobs, so a retry re-inserts it with
-- its original id, tenant_id, max_attempts and created_at from job_snapshot (payload from the
-- entry, kept whole), as pending with a fresh set of attempts. The job's id is the primary key,
-- so the job can exist in qc_jobs once at most; and only a 'pending' entry is acted on, under its
-- row lock, and the act moves it to 'retrying' (or closes it). So retrying an entry twice, or two
-- operators redriving the same range at once, enqueues the job once. If a row with the job's id
-- is already in qc_jobs (someone re-created it), a pending or running one is left alone
-- (already_queued), a completed one closes the entry (already_completed), and a failed or
-- cancelled one is put back to pending.
-- A retried job that completes closes its entry as resolved (complete_job); one that fails for
-- good again reopens the same entry (fail_job_for_good), so a job is in job_dlq once.
-- Every operation appends to job_dlq_actions who (public.feature_flag_actor()) and when.
-- Rollback: supabase/rollback/20261125100910_create_dlq_operations.sql

set lock_timeout = '5s';

-- Internal: puts the job of a locked, pending entry back in qc_jobs and records the action.
create or replace function public.requeue_dead_letter(entry public.job_dlq, action text, note text)
  returns text
  language plpgsql
  set search_path = ''
as $$
declare
  existing_status text;
  outcome text;
begin
  select q.status into existing_status from public.qc_jobs q where q.id = entry.job_id for update;

  if not found then
    if entry.job_snapshot is not null then
      insert into public.qc_jobs{{job_insert_overriding}}
      select * from pg_catalog.jsonb_populate_record(null::public.qc_jobs,
        entry.job_snapshot || pg_catalog.jsonb_build_object(
          'id', entry.job_id, 'job_type', entry.job_type, 'payload', entry.payload,
          'status', {{status.pending}}, 'attempts', 0, 'locked_by', null, 'run_after', pg_catalog.now(),
          'started_at', null, 'finished_at', null, 'last_heartbeat_at', null,
          'last_error', entry.error_message, 'updated_at', pg_catalog.now()));
    else
      -- An entry written by other code, without the job row: the table's defaults fill the rest.
      insert into public.qc_jobs (id, {{new_job_status_column}}job_type, payload, last_error){{job_insert_overriding}}
      values (entry.job_id, {{new_job_status_value}}entry.job_type, entry.payload, entry.error_message);
    end if;
    outcome := 'requeued';
  elsif existing_status in ({{status.failed}}, {{status.cancelled}}) then
    update public.qc_jobs q
       set status = {{status.pending}}, attempts = 0, locked_by = null, run_after = pg_catalog.now(),
           started_at = null, finished_at = null, last_heartbeat_at = null, updated_at = pg_catalog.now()
     where q.id = entry.job_id;
    outcome := 'requeued';
  elsif existing_status = {{status.completed}} then
    outcome := 'already_completed';
  else
    outcome := 'already_queued';
  end if;

  if outcome = 'already_completed' then
    update public.job_dlq d
       set review_status = 'resolved', resolved_at = pg_catalog.now(), resolved_by = public.feature_flag_actor(),
           resolution_note = coalesce(note, 'the job had already completed')
     where d.id = entry.id;
  else
    update public.job_dlq d
       set review_status = 'retrying', resolution_note = note
     where d.id = entry.id;
  end if;

  insert into public.job_dlq_actions (entry_id, job_id, action, outcome, actor, note)
  values (entry.id, entry.job_id, requeue_dead_letter.action, outcome, public.feature_flag_actor(), note);
  return outcome;
end
$$;

comment on function public.requeue_dead_letter(public.job_dlq, text, text) is
  'Internal (called by dlq_retry_entry and dlq_redrive under the entry''s row lock): put the job back in qc_jobs once.';

-- Retries one entry. Returns requeued, already_queued, already_completed, or not_pending (the
-- entry was already retried, resolved or discarded: nothing done). An unknown entry is an error.
create or replace function public.dlq_retry_entry(entry_id uuid, note text default null)
  returns text
  language plpgsql
  set search_path = ''
as $$
declare
  entry public.job_dlq;
begin
  select d.* into entry from public.job_dlq d where d.id = dlq_retry_entry.entry_id for update;
  if not found then
    raise exception 'dlq_retry_entry: no dead-letter entry %', dlq_retry_entry.entry_id using errcode = 'P0002';
  end if;
  if entry.review_status <> 'pending' then
    insert into public.job_dlq_actions (entry_id, job_id, action, outcome, actor, note)
    values (entry.id, entry.job_id, 'retry', 'not_pending', public.feature_flag_actor(), note);
    return 'not_pending';
  end if;
  return public.requeue_dead_letter(entry, 'retry', note);
end
$$;

comment on function public.dlq_retry_entry(uuid, text) is
  'DLQ operation: put one pending entry''s job back in qc_jobs (once, however often it is called).';

-- Redrives one batch: up to batch_size pending entries of a job type (null: any) whose last
-- failure is in [failed_from, failed_to) (null: unbounded), oldest first. Entries another
-- operation holds are skipped (SKIP LOCKED). Call again until it returns no rows; each call is
-- its own transaction, so a large redrive never holds many locks for long.
create or replace function public.dlq_redrive(
  job_type text, failed_from timestamptz, failed_to timestamptz, batch_size integer default 500, note text default null
)
  returns table (entry_id uuid, job_id {{job_id_type}}, outcome text)
  language plpgsql
  set search_path = ''
as $$
declare
  entry public.job_dlq;
begin
  if batch_size is null or batch_size < 1 or batch_size > 10000 then
    raise exception 'dlq_redrive: batch_size must be between 1 and 10000, got %', batch_size using errcode = '22023';
  end if;
  if failed_from is not null and failed_to is not null and failed_from >= failed_to then
    raise exception 'dlq_redrive: failed_from (%) must be before failed_to (%)', failed_from, failed_to using errcode = '22023';
  end if;

  for entry in
    select d.*
    from public.job_dlq d
    where d.review_status = 'pending'
      and (dlq_redrive.job_type is null or d.job_type = dlq_redrive.job_type)
      and (dlq_redrive.failed_from is null or d.last_failed_at >= dlq_redrive.failed_from)
      and (dlq_redrive.failed_to is null or d.last_failed_at < dlq_redrive.failed_to)
    order by d.last_failed_at, d.id
    limit batch_size
    for update of d skip locked
  loop
    entry_id := entry.id;
    job_id := entry.job_id;
    outcome := public.requeue_dead_letter(entry, 'redrive', dlq_redrive.note);
    return next;
  end loop;
end
$$;

comment on function public.dlq_redrive(text, timestamptz, timestamptz, integer, text) is
  'DLQ operation: redrive one batch of pending entries by job type and failure time; call until it returns no rows.';

-- Discards one pending entry for good, with a reason. Returns discarded, or not_pending.
create or replace function public.dlq_discard_entry(entry_id uuid, reason text)
  returns text
  language plpgsql
  set search_path = ''
as $$
declare
  entry public.job_dlq;
begin
  if reason is null or pg_catalog.btrim(reason) = '' then
    raise exception 'dlq_discard_entry: a reason is required' using errcode = '22023';
  end if;
  select d.* into entry from public.job_dlq d where d.id = dlq_discard_entry.entry_id for update;
  if not found then
    raise exception 'dlq_discard_entry: no dead-letter entry %', dlq_discard_entry.entry_id using errcode = 'P0002';
  end if;
  if entry.review_status <> 'pending' then
    insert into public.job_dlq_actions (entry_id, job_id, action, outcome, actor, note)
    values (entry.id, entry.job_id, 'discard', 'not_pending', public.feature_flag_actor(), reason);
    return 'not_pending';
  end if;

  update public.job_dlq d
     set review_status = 'discarded', resolved_at = pg_catalog.now(),
         resolved_by = public.feature_flag_actor(), resolution_note = reason
   where d.id = entry.id;
  insert into public.job_dlq_actions (entry_id, job_id, action, outcome, actor, note)
  values (entry.id, entry.job_id, 'discard', 'discarded', public.feature_flag_actor(), reason);
  return 'discarded';
end
$$;

comment on function public.dlq_discard_entry(uuid, text) is
  'DLQ operation: close one pending entry as discarded, with a reason.';

revoke all on function public.requeue_dead_letter(public.job_dlq, text, text) from public, anon, authenticated;
revoke all on function public.dlq_retry_entry(uuid, text) from public, anon, authenticated;
revoke all on function public.dlq_redrive(text, timestamptz, timestamptz, integer, text) from public, anon, authenticated;
revoke all on function public.dlq_discard_entry(uuid, text) from public, anon, authenticated;
grant execute on function public.requeue_dead_letter(public.job_dlq, text, text) to service_role;
grant execute on function public.dlq_retry_entry(uuid, text) to service_role;
grant execute on function public.dlq_redrive(text, timestamptz, timestamptz, integer, text) to service_role;
grant execute on function public.dlq_discard_entry(uuid, text) to service_role;
