-- The SQL rollout rule with less work around each hash; the same buckets and answers (pinned by
-- functions/_shared/rollout-vectors.json and tests/integration/rollout/sql-agreement.test.ts).
--
-- Where a call's time went (perf of one backend evaluating flag_enabled over 1,000,000 subjects):
-- the SHA-256 itself was about a tenth; the rest was machinery. Postgres runs a `language sql`
-- function it does not inline by starting an executor for its query on every call, and it inlines
-- none of these: a SET clause (our `set search_path = ''`) rules inlining out, and flag_enabled
-- reads a table. flag_enabled also called flag_bucket, paying a second call and SET per subject.
--
--   flag_bucket   plpgsql whose body is one `return <expression>`: plpgsql evaluates such a
--                 "simple expression" directly, without an executor, so a call costs the hash,
--                 the call and the SET: about a third less CPU per call than the SQL body.
--   flag_enabled  hashes in its own body (no nested call), and answers a flag at 0 % or 100 %
--                 without hashing: bucket < round(p * 100) holds for every bucket 0..9999 at 100 %
--                 and for none at 0 %, so the hash cannot change the answer there.
--
-- What is left per flag_enabled call is its read of feature_flags: a query through SPI (executor
-- start, an index scan, executor end), about half of a call and three times the hash. No function
-- that reads a table per call can be inlined or made free of it. flag_enabled is the one-call
-- answer for one subject (the worker RPCs gate one job per statement); code that checks a flag for
-- many rows in one statement is cheaper reading the flag's row once and comparing flag_bucket with
-- round(rollout_percentage * 100).
--
-- Both keep `set search_path = ''` (safe whatever the caller's search_path; Supabase's advisor
-- warns on functions without it, and a function without it is what inlining would need).
-- Same names, arguments, volatility and grants (create or replace keeps the grants).
-- Rollback: supabase/rollback/20261202110000_flag_rule_as_simple_expressions.sql

set lock_timeout = '5s';

create or replace function public.flag_bucket(bucket_group text, subject text) returns integer
  language plpgsql immutable strict parallel safe
  set search_path = ''
as $$
begin
  -- The first four bytes of the digest, read once as hex into a 32-bit string.
  return (('x' || pg_catalog.encode(pg_catalog.substring(
            pg_catalog.sha256(pg_catalog.convert_to(bucket_group || ':' || subject, 'UTF8')), 1, 4), 'hex'))::bit(32)::bigint
          % 10000)::integer;
end
$$;

comment on function public.flag_bucket(text, text) is
  'Rollout bucket 0..9999 of a subject within a bucket group (see functions/_shared/rollout.ts).';

-- An unknown flag, or a null subject, is off.
create or replace function public.flag_enabled(flag_key text, subject text) returns boolean
  language plpgsql stable parallel safe
  set search_path = ''
as $$
declare
  flag_on boolean;
  flag_group text;
  threshold numeric;
begin
  if subject is null then
    return false;
  end if;
  select f.enabled, f.bucket_group, pg_catalog.round(f.rollout_percentage * 100)
    into flag_on, flag_group, threshold
  from public.feature_flags f
  where f.key = flag_key;
  if not found or not flag_on or threshold <= 0 then
    return false;
  end if;
  if threshold >= 10000 then
    return true;
  end if;
  return (('x' || pg_catalog.encode(pg_catalog.substring(
            pg_catalog.sha256(pg_catalog.convert_to(flag_group || ':' || subject, 'UTF8')), 1, 4), 'hex'))::bit(32)::bigint
          % 10000) < threshold;
end
$$;

comment on function public.flag_enabled(text, text) is
  'Whether a flag is on for a subject by the table alone (no environment overrides).';
