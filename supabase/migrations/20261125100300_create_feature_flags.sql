-- Feature flags the Supabase dashboard can toggle, with an audit trail.
--
-- One row per flag. Operators edit rows in the dashboard's table editor (or through the
-- feature-flags function, or the runbook's `flags set`); the edge function serves them. CHECK
-- constraints are named as sentences, so that a bad edit is refused with a message that says what
-- is wrong. Every insert, update and delete writes one row to `feature_flag_audit`.
-- Rollback: supabase/rollback/20261125100300_create_feature_flags.sql

set lock_timeout = '5s';

create table if not exists public.feature_flags (
  -- Postgres checks constraints in name order; the key's is named to be reported first.
  key                 text primary key
                      constraint key_must_be_upper_snake_case_up_to_64_chars
                      check (key ~ '^[A-Z][A-Z0-9_]{0,63}$'),
  description         text not null default '',
  enabled             boolean not null default false,
  -- numeric without a scale: numeric(5,2) would silently round 5.001 to 5.00 instead of refusing it.
  rollout_percentage  numeric not null default 0
                      constraint rollout_percentage_must_be_between_0_and_100
                      check (rollout_percentage >= 0 and rollout_percentage <= 100)
                      constraint rollout_percentage_must_be_in_steps_of_0_01
                      check (rollout_percentage = round(rollout_percentage, 2)),
  -- Flags that share a bucket group pick the same subjects; filled with the key when left empty.
  bucket_group        text not null
                      constraint rollout_bucket_group_must_be_1_to_64_visible_chars
                      check (bucket_group ~ '^[!-~]{1,64}$'),
  updated_at          timestamptz not null default now(),
  updated_by          text not null default current_user
);

comment on table public.feature_flags is
  'Feature flags with percentage rollout, served by the feature-flags edge function.';
comment on column public.feature_flags.rollout_percentage is
  'Share of subjects the flag is on for when enabled: 0 to 100 in steps of 0.01.';
comment on column public.feature_flags.bucket_group is
  'Hash group for bucketing; defaults to the key. Flags with the same group pick the same subjects.';

create table if not exists public.feature_flag_audit (
  id          bigint generated always as identity primary key,
  flag_key    text not null,
  operation   text not null constraint feature_flag_audit_operation_is_known
              check (operation in ('INSERT', 'UPDATE', 'DELETE')),
  old_row     jsonb,
  new_row     jsonb,
  -- The JWT subject when the change came with one, else the operator named in the session
  -- setting feature_flags.actor, else the database role.
  actor       text not null,
  db_role     text not null default current_user,
  changed_at  timestamptz not null default now()
);

comment on table public.feature_flag_audit is
  'One row per change to feature_flags, written by trigger; never edited.';

create index if not exists feature_flag_audit_flag_key_changed_at_idx
  on public.feature_flag_audit (flag_key, changed_at desc);

-- Who is changing flags right now. SECURITY INVOKER on purpose: current_user must be the caller.
create or replace function public.feature_flag_actor() returns text
  language sql stable
  set search_path = ''
as $$
  select coalesce(
    nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub',
    nullif(pg_catalog.current_setting('feature_flags.actor', true), ''),
    current_user::text
  )
$$;

-- Before a write: default the bucket group, stamp who and when.
create or replace function public.feature_flags_stamp() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  new.bucket_group := coalesce(nullif(new.bucket_group, ''), new.key);
  new.updated_at := pg_catalog.now();
  new.updated_by := public.feature_flag_actor();
  return new;
end
$$;

-- After a write: one audit row per changed row.
create or replace function public.feature_flags_audit() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  insert into public.feature_flag_audit (flag_key, operation, old_row, new_row, actor)
  values (
    coalesce(new.key, old.key),
    tg_op,
    case when tg_op <> 'INSERT' then pg_catalog.to_jsonb(old) end,
    case when tg_op <> 'DELETE' then pg_catalog.to_jsonb(new) end,
    public.feature_flag_actor()
  );
  return null;
end
$$;

revoke all on function public.feature_flag_actor() from public, anon, authenticated;
revoke all on function public.feature_flags_stamp() from public, anon, authenticated, service_role;
revoke all on function public.feature_flags_audit() from public, anon, authenticated, service_role;
grant execute on function public.feature_flag_actor() to service_role;

drop trigger if exists feature_flags_stamp on public.feature_flags;
create trigger feature_flags_stamp
  before insert or update on public.feature_flags
  for each row execute function public.feature_flags_stamp();

drop trigger if exists feature_flags_audit on public.feature_flags;
create trigger feature_flags_audit
  after insert or update or delete on public.feature_flags
  for each row execute function public.feature_flags_audit();

-- Clients never read or change flags directly: they ask the edge function, which applies the
-- rollout rule. Only service_role (the function, the runbook) and the dashboard's owner role do.
alter table public.feature_flags enable row level security;
alter table public.feature_flag_audit enable row level security;

drop policy if exists feature_flags_service_role_all on public.feature_flags;
create policy feature_flags_service_role_all on public.feature_flags
  for all to service_role using (true) with check (true);

drop policy if exists feature_flag_audit_service_role_read on public.feature_flag_audit;
create policy feature_flag_audit_service_role_read on public.feature_flag_audit
  for select to service_role using (true);
drop policy if exists feature_flag_audit_service_role_append on public.feature_flag_audit;
create policy feature_flag_audit_service_role_append on public.feature_flag_audit
  for insert to service_role with check (true);

revoke all on public.feature_flags, public.feature_flag_audit from anon, authenticated, service_role;
grant select, insert, update, delete on public.feature_flags to service_role;
-- The audit trigger runs as the writer, so a writer may append to the audit; nobody may edit it.
grant select, insert on public.feature_flag_audit to service_role;

-- The kit's two flags, off until the rollout phases turn them on. Existing rows are left as they are.
insert into public.feature_flags (key, description, enabled, rollout_percentage)
values
  ('DLQ_ENABLED', 'Move jobs that failed for good into job_dlq instead of marking them failed.', false, 0),
  ('JOB_HEARTBEAT', 'Workers write qc_jobs.last_heartbeat_at; the watchdog rescues jobs whose worker died.', false, 0)
on conflict (key) do nothing;
