-- The rollout rule in SQL, so that database code (RPCs, the watchdog) can gate on a flag.
--
-- The same rule as functions/_shared/rollout.ts; tests/integration/rollout/sql-agreement.test.ts checks that
-- both give the same bucket for the shipped vectors and 100,000 generated subjects:
--   bucket(group, subject) = first 4 bytes of SHA-256(UTF-8(group || ':' || subject)),
--                            as a big-endian unsigned 32-bit integer, modulo 10000
--   on(flag, subject)      = enabled and bucket < round(rollout_percentage * 100)
-- Environment overrides (FEATURE_FLAG_<KEY>) live in the edge function's environment and do not
-- apply here: in the database the table is the switch.
-- Rollback: supabase/rollback/20261125100400_create_flag_rollout_rule.sql

set lock_timeout = '5s';

create or replace function public.flag_bucket(bucket_group text, subject text) returns integer
  language sql immutable strict parallel safe
  set search_path = ''
as $$
  select ((pg_catalog.get_byte(digest, 0)::bigint << 24)
        | (pg_catalog.get_byte(digest, 1)::bigint << 16)
        | (pg_catalog.get_byte(digest, 2)::bigint << 8)
        |  pg_catalog.get_byte(digest, 3)::bigint) % 10000
  from (select pg_catalog.sha256(pg_catalog.convert_to(bucket_group || ':' || subject, 'UTF8')) as digest) as hashed
$$;

comment on function public.flag_bucket(text, text) is
  'Rollout bucket 0..9999 of a subject within a bucket group (see functions/_shared/rollout.ts).';

-- An unknown flag, or a null subject, is off.
create or replace function public.flag_enabled(flag_key text, subject text) returns boolean
  language sql stable parallel safe
  set search_path = ''
as $$
  select coalesce((
    select f.enabled
       and subject is not null
       and public.flag_bucket(f.bucket_group, subject) < pg_catalog.round(f.rollout_percentage * 100)
    from public.feature_flags f
    where f.key = flag_key
  ), false)
$$;

comment on function public.flag_enabled(text, text) is
  'Whether a flag is on for a subject by the table alone (no environment overrides).';

-- flag_bucket reads nothing, so any role may compute a bucket. flag_enabled reads the flags
-- table, which only service_role may read: it is for server-side code.
revoke all on function public.flag_bucket(text, text) from public;
grant execute on function public.flag_bucket(text, text) to anon, authenticated, service_role;
revoke all on function public.flag_enabled(text, text) from public, anon, authenticated;
grant execute on function public.flag_enabled(text, text) to service_role;
