-- A lease on every running job, whatever the flags say, and a record of every rescue.
--
-- Before: the watchdog rescued only jobs where JOB_HEARTBEAT was on. During the canary (heartbeat
-- on for a few jobs) a dead worker's other jobs stayed running for ever, and nothing listed them.
-- Now a running job's lease is its job type's maximum run time, counted from its last sign of
-- life (its last heartbeat, else when it was claimed). When the lease runs out, the same watchdog
-- requeues the job (attempts left) or fails it for good (job_dlq where DLQ_ENABLED is on), its
-- attempt counted, with heartbeats on or off. Where JOB_HEARTBEAT is on, heartbeats renew the
-- lease and the watchdog rescues after stale_after already: heartbeats only make rescue sooner.
-- A job that runs longer than its type's maximum without heartbeating is taken as dead: set the
-- maximum above the longest run (job_type_settings), or turn heartbeats on for it.
--
--   public.job_type_settings   maximum run time per job type ('*' for every type without a row);
--                              default 1 hour. Rows are settings, changed with a plain UPDATE
--                              (dashboard, SQL, `npm run ops -- jobs lease`), no migration.
--   public.job_events          append-only: each watchdog rescue, each requeue by an operator, each
--                              completion refused because the job was no longer the worker's.
--   public.reclaim_stale_jobs  same signature; lease added; its grace period after a change of
--                              JOB_HEARTBEAT keys off feature_flags.answers_changed_at.
--   public.complete_job        same signature; a refused completion is recorded.
--   public.release_job         a worker hands back a job it claimed and did not start (shutting
--                              down): pending again, the claim's attempt not counted.
--   public.list_running_jobs   running jobs by age and owner, with their lease (ops `jobs running`).
--   public.requeue_stuck_jobs  requeue (or fail for good) running jobs quiet for longer than a given
--                              time, recorded with the operator's name (ops `jobs requeue`).
-- Rollback: supabase/rollback/20261201100100_add_job_lease.sql

set lock_timeout = '5s';

create table if not exists public.job_type_settings (
  -- '*' applies to every job type without a row of its own.
  job_type      text primary key
                constraint job_type_must_be_1_to_200_chars check (pg_catalog.length(job_type) between 1 and 200),
  max_run_time  interval not null
                constraint max_run_time_must_be_between_1_second_and_7_days
                check (max_run_time >= interval '1 second' and max_run_time <= interval '7 days'),
  updated_at    timestamptz not null default now(),
  updated_by    text not null default current_user
);

comment on table public.job_type_settings is
  'Per job type: max_run_time, the lease of a running job counted from its last sign of life; ''*'' for every other type; 1 hour without a row.';

create table if not exists public.job_events (
  id          bigint generated always as identity primary key,
  event       text not null constraint job_event_is_known check (event in (
                'watchdog_requeued', 'watchdog_dead_lettered', 'watchdog_failed',
                'ops_requeued', 'ops_dead_lettered', 'ops_failed',
                'completion_refused')),
  -- Text, whatever qc_jobs.id's type: the record outlives the job row.
  job_id      text not null,
  job_type    text,
  -- The job's flag subject, so that a rollout can count events per cohort.
  subject     text,
  worker_id   text,
  attempt     integer,
  -- Why: the rule that fired (lease_expired, heartbeat_timeout, operator), or the job's state
  -- when a completion was refused.
  reason      text not null,
  actor       text not null default current_user,
  detail      jsonb not null default '{}'::jsonb,
  at          timestamptz not null default now()
);

comment on table public.job_events is
  'Append-only record of watchdog rescues, operator requeues and refused completions; never edited.';

create index if not exists job_events_event_at_idx on public.job_events (event, at desc);

alter table public.job_type_settings enable row level security;
alter table public.job_events enable row level security;

drop policy if exists job_type_settings_service_role_all on public.job_type_settings;
create policy job_type_settings_service_role_all on public.job_type_settings
  for all to service_role using (true) with check (true);
drop policy if exists job_events_service_role_read on public.job_events;
create policy job_events_service_role_read on public.job_events
  for select to service_role using (true);
drop policy if exists job_events_service_role_append on public.job_events;
create policy job_events_service_role_append on public.job_events
  for insert to service_role with check (true);

revoke all on public.job_type_settings, public.job_events from anon, authenticated, service_role;
grant select, insert, update, delete on public.job_type_settings to service_role;
-- The worker RPCs and the watchdog run as their caller and append here; nobody edits the record.
grant select, insert on public.job_events to service_role;

-- The lease of a job type: its row, else the '*' row, else 1 hour.
create or replace function public.job_max_run_time(job_type text) returns interval
  language sql stable
  set search_path = ''
as $$
  select coalesce(
    (select s.max_run_time from public.job_type_settings s where s.job_type = job_max_run_time.job_type),
    (select s.max_run_time from public.job_type_settings s where s.job_type = '*'),
    interval '1 hour')
$$;

comment on function public.job_max_run_time(text) is
  'Lease of a running job of this type, from its last sign of life: job_type_settings row, else the ''*'' row, else 1 hour.';

-- Requeues a running job (attempts left) or fails it for good, and records why. The caller holds
-- the row lock and has checked that the job is running. kind: watchdog or ops; actor: who.
create or replace function public.rescue_running_job(job public.qc_jobs, kind text, reason text, message text, details jsonb, actor text)
  returns text
  language plpgsql
  set search_path = ''
as $$
declare
  outcome text;
begin
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
    outcome := public.fail_job_for_good(job, message, details);
  end if;
  insert into public.job_events (event, job_id, job_type, subject, worker_id, attempt, reason, actor, detail)
  values (kind || '_' || outcome, job.id::text, job.job_type, public.job_flag_subject(job.tenant_id, job.id),
          job.locked_by, job.attempts, reason, coalesce(actor, current_user::text), coalesce(details, '{}'::jsonb));
  return outcome;
end
$$;

comment on function public.rescue_running_job(public.qc_jobs, text, text, text, jsonb, text) is
  'Internal (watchdog and requeue_stuck_jobs, under the row lock): requeue or fail for good, and record it in job_events.';

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
  heartbeat_rule boolean;
  earliest timestamptz;
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
  select least(f.answers_changed_at, f.updated_at) into flag_changed_at
  from public.feature_flags f where f.key = 'JOB_HEARTBEAT';
  heartbeat_rule := flag_changed_at is not null and flag_changed_at <= cutoff;
  if flag_changed_at > cutoff then
    raise notice 'JOB_HEARTBEAT changed at %, less than % ago: only expired leases are reclaimed until workers have heartbeated',
      flag_changed_at, stale_after;
  end if;

  -- No job's last sign of life can be judged dead if it is later than this: the scan's range on
  -- idx_qc_jobs_running_heartbeat, so its cost follows the running jobs that may be dead.
  earliest := pg_catalog.now() - least(
    case when heartbeat_rule then stale_after end,
    (select pg_catalog.min(s.max_run_time) from public.job_type_settings s),
    interval '1 hour');

  for job in
    select q.*
    from public.qc_jobs q
    where q.status = 'running'
      and coalesce(q.last_heartbeat_at, q.started_at) < earliest
      and (coalesce(q.last_heartbeat_at, q.started_at) < pg_catalog.now() - public.job_max_run_time(q.job_type)
           or (heartbeat_rule
               and coalesce(q.last_heartbeat_at, q.started_at) < cutoff
               and public.flag_enabled('JOB_HEARTBEAT', public.job_flag_subject(q.tenant_id, q.id))))
    order by coalesce(q.last_heartbeat_at, q.started_at)
    limit batch_size
    for update of q skip locked
  loop
    -- Under the row lock, on the row's latest version (a heartbeat may have committed meanwhile).
    if job.status <> 'running' then
      continue;
    end if;
    last_seen_at := coalesce(job.last_heartbeat_at, job.started_at);
    lease := public.job_max_run_time(job.job_type);
    if heartbeat_rule and last_seen_at < cutoff and public.flag_enabled('JOB_HEARTBEAT', public.job_flag_subject(job.tenant_id, job.id)) then
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

-- Completes a job, only for the worker that holds it. false: the job is no longer this worker's
-- (reclaimed, cancelled, ...) and its result must be dropped; job_events records the refusal. A
-- job that came back from the DLQ closes its entry as resolved.
create or replace function public.complete_job(job_id uuid, worker_id text, attempt integer default null)
  returns boolean
  language plpgsql
  set search_path = ''
as $$
declare
  current_job public.qc_jobs;
begin
  update public.qc_jobs q
     set status = 'completed', finished_at = pg_catalog.now(), updated_at = pg_catalog.now()
   where q.id = complete_job.job_id
     and q.status = 'running'
     and q.locked_by = complete_job.worker_id
     and (complete_job.attempt is null or q.attempts = complete_job.attempt);
  if not found then
    select q.* into current_job from public.qc_jobs q where q.id = complete_job.job_id;
    insert into public.job_events (event, job_id, job_type, subject, worker_id, attempt, reason, detail)
    values ('completion_refused', complete_job.job_id::text, current_job.job_type,
            case when current_job.id is not null then public.job_flag_subject(current_job.tenant_id, current_job.id) end,
            complete_job.worker_id, complete_job.attempt,
            case when current_job.id is null then 'gone' else 'status ' || current_job.status::text end,
            pg_catalog.jsonb_build_object('held_by', current_job.locked_by, 'current_attempt', current_job.attempts));
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
  'Worker RPC: mark a job completed; false when it is no longer this worker''s (recorded in job_events).';

-- Hands back a job the worker claimed but did not start: pending at once, its attempt uncounted
-- (the claim added it). false when the job is no longer this worker's.
create or replace function public.release_job(job_id uuid, worker_id text, attempt integer default null)
  returns boolean
  language plpgsql
  set search_path = ''
as $$
begin
  update public.qc_jobs q
     set status = 'pending',
         locked_by = null,
         last_heartbeat_at = null,
         attempts = greatest(q.attempts - 1, 0),
         run_after = pg_catalog.now(),
         updated_at = pg_catalog.now()
   where q.id = release_job.job_id
     and q.status = 'running'
     and q.locked_by = release_job.worker_id
     and (release_job.attempt is null or q.attempts = release_job.attempt);
  return found;
end
$$;

comment on function public.release_job(uuid, text, integer) is
  'Worker RPC: hand back a claimed job that was not started (pending, attempt uncounted); false when it is no longer this worker''s.';

-- Running jobs, the quietest first: who holds each, since when, and when its lease runs out.
create or replace function public.list_running_jobs(max_rows integer default 100)
  returns table (job_id uuid, job_type text, worker_id text, attempt integer, max_attempts integer,
                 started_at timestamptz, last_heartbeat_at timestamptz, quiet_for interval, max_run_time interval,
                 lease_expired boolean)
  language sql stable
  set search_path = ''
as $$
  select q.id, q.job_type, q.locked_by, q.attempts, q.max_attempts, q.started_at, q.last_heartbeat_at,
         pg_catalog.now() - coalesce(q.last_heartbeat_at, q.started_at),
         public.job_max_run_time(q.job_type),
         coalesce(q.last_heartbeat_at, q.started_at) < pg_catalog.now() - public.job_max_run_time(q.job_type)
  from public.qc_jobs q
  where q.status = 'running'
  order by coalesce(q.last_heartbeat_at, q.started_at)
  limit greatest(coalesce(max_rows, 100), 1)
$$;

comment on function public.list_running_jobs(integer) is
  'Running jobs by last sign of life (oldest first), owner, and lease.';

-- An operator's rescue: running jobs quiet for longer than quiet_for (optionally one worker's)
-- are requeued, or failed for good when out of attempts, each recorded with actor as who did it.
create or replace function public.requeue_stuck_jobs(quiet_for interval, actor text, only_worker text default null, batch_size integer default 500)
  returns table (job_id uuid, outcome text, attempt integer, worker_id text, last_seen_at timestamptz)
  language plpgsql
  set search_path = ''
as $$
declare
  job public.qc_jobs;
begin
  if quiet_for is null or quiet_for < interval '1 second' then
    raise exception 'requeue_stuck_jobs: quiet_for must be at least 1 second, got %', quiet_for using errcode = '22023';
  end if;
  if actor is null or pg_catalog.btrim(actor) = '' then
    raise exception 'requeue_stuck_jobs: actor (who is doing this) must be given' using errcode = '22023';
  end if;
  for job in
    select q.*
    from public.qc_jobs q
    where q.status = 'running'
      and coalesce(q.last_heartbeat_at, q.started_at) < pg_catalog.now() - quiet_for
      and (only_worker is null or q.locked_by = only_worker)
    order by coalesce(q.last_heartbeat_at, q.started_at)
    limit batch_size
    for update of q skip locked
  loop
    last_seen_at := coalesce(job.last_heartbeat_at, job.started_at);
    if job.status <> 'running' or last_seen_at >= pg_catalog.now() - quiet_for then
      continue;
    end if;
    job_id := job.id;
    attempt := job.attempts;
    worker_id := job.locked_by;
    outcome := public.rescue_running_job(job, 'ops', 'operator',
      pg_catalog.format('requeued by %s: worker %s showed no sign of life since %s (attempt %s of %s)',
                        actor, coalesce(job.locked_by, '?'), last_seen_at, job.attempts, job.max_attempts),
      pg_catalog.jsonb_build_object('reason', 'operator', 'actor', actor, 'worker_id', job.locked_by,
                                    'last_seen_at', last_seen_at, 'quiet_for', quiet_for::text),
      requeue_stuck_jobs.actor);
    return next;
  end loop;
end
$$;

comment on function public.requeue_stuck_jobs(interval, text, text, integer) is
  'Ops: requeue (or fail for good) running jobs quiet for longer than quiet_for, recorded in job_events with the actor.';

revoke all on function public.job_max_run_time(text) from public, anon, authenticated;
revoke all on function public.rescue_running_job(public.qc_jobs, text, text, text, jsonb, text) from public, anon, authenticated;
revoke all on function public.release_job(uuid, text, integer) from public, anon, authenticated;
revoke all on function public.list_running_jobs(integer) from public, anon, authenticated;
revoke all on function public.requeue_stuck_jobs(interval, text, text, integer) from public, anon, authenticated;
grant execute on function public.job_max_run_time(text) to service_role;
grant execute on function public.rescue_running_job(public.qc_jobs, text, text, text, jsonb, text) to service_role;
grant execute on function public.release_job(uuid, text, integer) to service_role;
grant execute on function public.list_running_jobs(integer) to service_role;
grant execute on function public.requeue_stuck_jobs(interval, text, text, integer) to service_role;
