-- Roll back 20261202110000_flag_rule_as_simple_expressions: the SQL rollout rule's bodies as
-- 20261201110000_speed_up_flag_rule made them (same answers, slower). Names, arguments and grants
-- do not change either way.
set lock_timeout = '5s';

create or replace function public.flag_bucket(bucket_group text, subject text) returns integer
  language sql immutable strict parallel safe
  set search_path = ''
as $$
  select (('x' || pg_catalog.encode(pg_catalog.substring(
            pg_catalog.sha256(pg_catalog.convert_to(bucket_group || ':' || subject, 'UTF8')), 1, 4), 'hex'))::bit(32)::bigint
          % 10000)::integer
$$;

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
