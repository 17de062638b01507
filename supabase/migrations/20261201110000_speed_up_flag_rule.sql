-- The SQL rollout rule, faster; the same buckets and answers (pinned by
-- functions/_shared/rollout-vectors.json and tests/integration/rollout/sql-agreement.test.ts). Every worker RPC
-- that gates on a flag calls flag_enabled once per job, so its cost is paid per job.
--
--   flag_bucket   one SHA-256 per bucket. The body of 20261125100400 named the digest in a
--                 subquery, which the planner folds into the expression: each of its four
--                 get_byte calls recomputed the digest (four SHA-256s per bucket). Now the first
--                 four bytes are read once, as hex, into a 32-bit bit string.
--   flag_enabled  plpgsql instead of SQL: the flag row's query keeps its plan for the session
--                 and the comparison runs as a simple expression, where the SQL body started an
--                 executor per call for its own query (and another for flag_bucket's).
--
-- Why not an inlinable SQL function (the cheapest Postgres can do): Postgres inlines a SQL
-- function only when it has no SET clause and no query of a table, and flag_enabled reads
-- feature_flags; both functions keep `set search_path = ''` (safe against a caller's search_path,
-- and Supabase's advisor warns on functions without it), which alone rules inlining out.
-- Same names, arguments, volatility and grants (create or replace keeps the grants).
-- Rollback: supabase/rollback/20261201110000_speed_up_flag_rule.sql

set lock_timeout = '5s';

create or replace function public.flag_bucket(bucket_group text, subject text) returns integer
  language sql immutable strict parallel safe
  set search_path = ''
as $$
  select (('x' || pg_catalog.encode(pg_catalog.substring(
            pg_catalog.sha256(pg_catalog.convert_to(bucket_group || ':' || subject, 'UTF8')), 1, 4), 'hex'))::bit(32)::bigint
          % 10000)::integer
$$;

comment on function public.flag_bucket(text, text) is
  'Rollout bucket 0..9999 of a subject within a bucket group (see functions/_shared/rollout.ts).';

-- An unknown flag, or a null subject, is off.
create or replace function public.flag_enabled(flag_key text, subject text) returns boolean
  language plpgsql stable parallel safe
  set search_path = ''
as $$
declare
  flag record;
begin
  if subject is null then
    return false;
  end if;
  select f.enabled, f.bucket_group, f.rollout_percentage
    into flag
  from public.feature_flags f
  where f.key = flag_key;
  if not found or not flag.enabled then
    return false;
  end if;
  return coalesce(public.flag_bucket(flag.bucket_group, subject) < pg_catalog.round(flag.rollout_percentage * 100), false);
end
$$;

comment on function public.flag_enabled(text, text) is
  'Whether a flag is on for a subject by the table alone (no environment overrides).';
