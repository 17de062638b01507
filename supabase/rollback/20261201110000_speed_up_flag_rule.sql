-- Roll back 20261201110000_speed_up_flag_rule: the SQL rollout rule's bodies as 20261125100400
-- created them (same answers, slower). Names, arguments and grants do not change either way.
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
