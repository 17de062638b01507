-- Plan migration 001: the dead-letter queue.
--
-- `job_dlq` keeps every job that failed for good (max attempts reached or a non-retryable error)
-- with its payload and error intact, so that a reviewer can retry, redrive or discard it instead
-- of the job silently ending as `failed`. A new, empty table: creating it takes no lock on qc_jobs.
-- Rollback: supabase/rollback/20261125100100_create_job_dlq.sql.

set lock_timeout = '5s';

create table if not exists public.job_dlq (
  id               uuid primary key default gen_random_uuid(),
  -- The original job. No foreign key: an entry must outlive the job row it came from.
  job_id           uuid not null,
  job_type         text not null,
  payload          jsonb not null,
  error_message    text not null default '',
  error_details    jsonb not null default '{}'::jsonb,
  attempts         integer not null default 0
                   constraint job_dlq_attempts_not_negative check (attempts >= 0),
  first_failed_at  timestamptz not null default now(),
  last_failed_at   timestamptz not null default now(),
  review_status    text not null default 'pending'
                   constraint job_dlq_review_status_is_known
                   check (review_status in ('pending', 'retrying', 'resolved', 'discarded')),
  -- Who closed the entry (a user id, an operator name or a database role) and when.
  resolved_by      text,
  resolved_at      timestamptz,
  resolution_note  text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint job_dlq_failures_in_order check (last_failed_at >= first_failed_at),
  constraint job_dlq_resolved_entries_say_when
    check ((review_status in ('resolved', 'discarded')) = (resolved_at is not null))
);

comment on table public.job_dlq is
  'Dead-letter queue: jobs that failed for good, kept whole for retry, redrive or manual review.';
comment on column public.job_dlq.review_status is
  'pending: awaiting review; retrying: re-enqueued, outcome unknown; resolved: handled; discarded: dropped on purpose.';

-- A job has at most one open entry, so retrying or dead-lettering twice cannot duplicate it.
create unique index if not exists job_dlq_one_open_entry_per_job
  on public.job_dlq (job_id) where review_status in ('pending', 'retrying');
-- The reviewer's queue: open entries, oldest first.
create index if not exists job_dlq_review_status_created_at_idx
  on public.job_dlq (review_status, created_at);
-- Redrive: entries of one job type within a time range.
create index if not exists job_dlq_job_type_last_failed_at_idx
  on public.job_dlq (job_type, last_failed_at);
-- The history of one job across entries.
create index if not exists job_dlq_job_id_idx on public.job_dlq (job_id);

-- The rollback drops exactly these names: function update_job_dlq_updated_at(), trigger job_dlq_updated_at.
create or replace function public.update_job_dlq_updated_at() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end
$$;
revoke all on function public.update_job_dlq_updated_at() from public, anon, authenticated, service_role;

drop trigger if exists job_dlq_updated_at on public.job_dlq;
create trigger job_dlq_updated_at
  before update on public.job_dlq
  for each row execute function public.update_job_dlq_updated_at();

alter table public.job_dlq enable row level security;

-- service_role (workers, the runbook) does everything.
drop policy if exists job_dlq_service_role_all on public.job_dlq;
create policy job_dlq_service_role_all on public.job_dlq
  for all to service_role using (true) with check (true);

-- A signed-in user reviews the queue only with the admin claim in app_metadata, which only the
-- server can set (user_metadata is user-editable and must never grant access).
drop policy if exists job_dlq_admin_select on public.job_dlq;
create policy job_dlq_admin_select on public.job_dlq
  for select to authenticated
  using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');

drop policy if exists job_dlq_admin_review on public.job_dlq;
create policy job_dlq_admin_review on public.job_dlq
  for update to authenticated
  using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin')
  with check (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');

-- Explicit grants, the same whatever the project's default privileges: anon gets nothing,
-- authenticated gets what the admin policies can use (RLS decides which rows), service_role all.
revoke all on public.job_dlq from anon, authenticated, service_role;
grant select, update (review_status, resolved_by, resolved_at, resolution_note) on public.job_dlq to authenticated;
grant select, insert, update, delete on public.job_dlq to service_role;
