-- Roll back 20261201100000_stamp_flag_answers_changes: the stamp and audit triggers' functions as
-- 20261125100300_create_feature_flags made them (every UPDATE stamped and audited), and the
-- answers_changed_at column dropped. Roll back the job lease (20261201100100) first: its watchdog
-- reads that column.
set lock_timeout = '5s';

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

alter table public.feature_flags drop column if exists answers_changed_at;
