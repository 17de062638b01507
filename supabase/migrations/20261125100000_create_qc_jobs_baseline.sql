-- Baseline job table for projects that do not have one yet.
--
-- The reliability features (dead-letter queue, heartbeats, watchdog) work on an existing
-- `qc_jobs` table. On a fresh project this creates one; on a project that already has `qc_jobs`
-- it changes nothing and only checks that the table meets the contract the later migrations
-- rely on (README: "The qc_jobs contract"), stopping with a plain-English message if it does not.

set lock_timeout = '5s';

do $baseline$
begin
  if to_regclass('public.qc_jobs') is not null then
    -- An existing table keeps its own RLS, policies and grants: the kit does not change who can
    -- read the app's jobs. Only the contract below is checked.
    raise notice 'public.qc_jobs exists: keeping it, checking the contract only';
    return;
  end if;

  create table if not exists public.qc_jobs (
    id            uuid primary key default gen_random_uuid(),
    job_type      text not null,
    status        text not null default 'pending'
                  constraint qc_jobs_status_check
                  check (status in ('pending', 'running', 'completed', 'failed', 'cancelled')),
    payload       jsonb not null default '{}'::jsonb,
    attempts      integer not null default 0 check (attempts >= 0),
    max_attempts  integer not null default 3 check (max_attempts >= 1),
    -- Owner or tenant: the subject feature flags bucket a job by (falling back to the job's id).
    tenant_id     text,
    -- The worker that claimed a running job; a heartbeat or completion from any other worker is refused.
    locked_by     text,
    run_after     timestamptz not null default now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    last_error    text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
  );

  comment on table public.qc_jobs is
    'Background jobs. Baseline created by the reliability kit only where no qc_jobs existed.';
  comment on column public.qc_jobs.tenant_id is
    'Owner or tenant; feature flags bucket a job by coalesce(tenant_id, id::text).';
  comment on column public.qc_jobs.locked_by is
    'Worker id that claimed the job while it is running.';

  -- Workers pick the oldest runnable job of a status; created here only for the baseline table.
  create index if not exists qc_jobs_status_run_after_idx on public.qc_jobs (status, run_after);

  alter table public.qc_jobs enable row level security;

  -- Jobs are written by workers with the secret key (service_role); no client role reads them.
  drop policy if exists qc_jobs_service_role_all on public.qc_jobs;
  create policy qc_jobs_service_role_all on public.qc_jobs
    for all to service_role using (true) with check (true);

  revoke all on public.qc_jobs from anon, authenticated;
  grant select, insert, update, delete on public.qc_jobs to service_role;
end
$baseline$;

-- The contract an existing table must meet (a fresh baseline meets it by construction).
do $contract$
declare
  missing text;
begin
  select string_agg(required.column_name || ' ' || required.type_name, ', ' order by required.column_name)
    into missing
  from (values
      ('id', 'uuid'), ('job_type', 'text'), ('status', 'text'), ('payload', 'jsonb'),
      ('attempts', 'integer'), ('max_attempts', 'integer'), ('tenant_id', 'text'),
      ('locked_by', 'text'), ('started_at', 'timestamp with time zone'),
      ('finished_at', 'timestamp with time zone'), ('last_error', 'text'),
      ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')
    ) as required(column_name, type_name)
  where not exists (
    select 1 from information_schema.columns c
    where c.table_schema = 'public' and c.table_name = 'qc_jobs'
      and c.column_name = required.column_name and c.data_type = required.type_name
  );
  if missing is not null then
    raise exception 'public.qc_jobs does not meet the reliability kit''s contract: missing or mistyped columns: %', missing
      using hint = 'Add the columns (see README, "The qc_jobs contract") in an earlier migration, then push again.';
  end if;
end
$contract$;
