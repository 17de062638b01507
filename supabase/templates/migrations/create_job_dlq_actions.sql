-- Who did what to the dead-letter queue, and when.
--
-- One row per retry, redrive or discard of a job_dlq entry, written by the DLQ operations in the
-- same transaction as the change (supabase/migrations/20261125100910_create_dlq_operations.sql).
-- job_dlq itself only has room for who closed an entry; a retry leaves it open ('retrying') and an
-- entry can be retried, fail again and be retried again, so the history lives here. No foreign
-- key: the log outlives entries deleted by a cleanup.
-- Rollback: supabase/rollback/20261125100900_create_job_dlq_actions.sql

set lock_timeout = '5s';

create table if not exists public.job_dlq_actions (
  id         bigint generated always as identity primary key,
  entry_id   uuid not null,
  job_id     {{job_id_type}} not null,
  action     text not null constraint job_dlq_action_is_known check (action in ('retry', 'redrive', 'discard')),
  -- What it did: requeued, already_queued, already_completed, discarded, or not_pending (nothing).
  outcome    text not null,
  -- JWT subject, else the session setting feature_flags.actor, else the database role
  -- (public.feature_flag_actor(), the same rule as the flag audit).
  actor      text not null,
  db_role    text not null default current_user,
  acted_at   timestamptz not null default now(),
  note       text
);

comment on table public.job_dlq_actions is
  'Append-only log of DLQ operations (retry, redrive, discard): who, when, what happened.';

create index if not exists job_dlq_actions_entry_id_acted_at_idx on public.job_dlq_actions (entry_id, acted_at);

alter table public.job_dlq_actions enable row level security;

drop policy if exists job_dlq_actions_service_role_read on public.job_dlq_actions;
create policy job_dlq_actions_service_role_read on public.job_dlq_actions
  for select to service_role using (true);
drop policy if exists job_dlq_actions_service_role_append on public.job_dlq_actions;
create policy job_dlq_actions_service_role_append on public.job_dlq_actions
  for insert to service_role with check (true);

-- Appended by the DLQ operations (run by service_role); nobody edits it.
revoke all on public.job_dlq_actions from anon, authenticated, service_role;
grant select, insert on public.job_dlq_actions to service_role;
