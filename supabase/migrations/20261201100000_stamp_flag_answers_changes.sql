-- A flag write that changes nothing changes nothing at all, and the flags table records when a
-- flag's answers last changed.
--
-- Before: the stamp trigger moved updated_at on every UPDATE and the audit trigger logged every
-- UPDATE, so a same-value PATCH, a re-run of `rollout`, or saving an untouched row in the
-- dashboard looked like a change. The watchdog waits one stale_after period after a change of
-- JOB_HEARTBEAT before reclaiming anything, so a periodic no-op write switched rescue off.
-- Now:
--   * an UPDATE that leaves every column the flag is made of as it was (key, description,
--     enabled, rollout_percentage, bucket_group) keeps updated_at and updated_by, and writes no
--     audit row;
--   * answers_changed_at moves only when the flag's answers can change: enabled,
--     rollout_percentage or bucket_group (a description edit moves updated_at alone). The
--     watchdog's grace period keys off it.
-- The column is added with a constant default (no table rewrite); existing flags start their
-- history at this migration, so the watchdog waits one period after it, as after any change.
-- Rollback: supabase/rollback/20261201100000_stamp_flag_answers_changes.sql

set lock_timeout = '5s';

alter table public.feature_flags
  add column if not exists answers_changed_at timestamptz not null default now();

comment on column public.feature_flags.answers_changed_at is
  'When enabled, rollout_percentage or bucket_group last changed (what the flag answers); set by trigger.';

-- Before a write: default the bucket group, stamp who and when, only when something changed.
create or replace function public.feature_flags_stamp() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  new.bucket_group := coalesce(nullif(new.bucket_group, ''), new.key);
  if tg_op = 'UPDATE'
     and (new.key, new.description, new.enabled, new.rollout_percentage, new.bucket_group)
         is not distinct from (old.key, old.description, old.enabled, old.rollout_percentage, old.bucket_group) then
    -- Nothing the flag is made of changed: keep every stamp, so the row stays exactly as it was.
    new.updated_at := old.updated_at;
    new.updated_by := old.updated_by;
    new.answers_changed_at := old.answers_changed_at;
    return new;
  end if;
  new.updated_at := pg_catalog.now();
  new.updated_by := public.feature_flag_actor();
  if tg_op = 'INSERT'
     or (new.enabled, new.rollout_percentage, new.bucket_group)
        is distinct from (old.enabled, old.rollout_percentage, old.bucket_group) then
    new.answers_changed_at := pg_catalog.now();
  else
    new.answers_changed_at := old.answers_changed_at;
  end if;
  return new;
end
$$;

-- After a write: one audit row per row that changed (an UPDATE that changed nothing logs nothing).
create or replace function public.feature_flags_audit() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and old is not distinct from new then
    return null;
  end if;
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

revoke all on function public.feature_flags_stamp() from public, anon, authenticated, service_role;
revoke all on function public.feature_flags_audit() from public, anon, authenticated, service_role;
