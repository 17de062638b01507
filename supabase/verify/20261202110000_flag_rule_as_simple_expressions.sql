-- Verify 20261202110000_flag_rule_as_simple_expressions: both rule functions are plpgsql and give
-- the pinned answers, at the thresholds and at 0 % and 100 %, where flag_enabled skips the hash.
-- Each "-- check:" block passes by running and fails by raising an error. The runner executes the
-- file inside begin ... rollback, so a verification never changes the database.

-- check: flag_bucket and flag_enabled are plpgsql, keep search_path '' and flag_enabled calls no flag_bucket
do $$ begin
  if exists (select 1 from pg_catalog.pg_proc p join pg_catalog.pg_language l on l.oid = p.prolang
             where p.oid in ('public.flag_bucket(text, text)'::pg_catalog.regprocedure,
                             'public.flag_enabled(text, text)'::pg_catalog.regprocedure)
               and (l.lanname <> 'plpgsql' or not coalesce(p.proconfig @> array['search_path=""'], false))) then
    raise exception 'flag_bucket or flag_enabled is not the plpgsql version of 20261202110000 with search_path ''''';
  end if;
  if (select p.prosrc from pg_catalog.pg_proc p where p.oid = 'public.flag_enabled(text, text)'::pg_catalog.regprocedure) like '%flag_bucket%' then
    raise exception 'flag_enabled still calls flag_bucket per subject';
  end if;
end $$;

-- check: flag_bucket gives the pinned buckets (functions/_shared/rollout-vectors.json)
do $$ begin
  if public.flag_bucket('JOB_HEARTBEAT', 'emoji-🚀-tenant') is distinct from 4806
     or public.flag_bucket('RELIABILITY', 'user:42') is distinct from 829
     or public.flag_bucket('G', 'a') is distinct from 284
     or public.flag_bucket(null, 'a') is not null then
    raise exception 'flag_bucket disagrees with the pinned vectors, or is not strict';
  end if;
end $$;

-- check: flag_enabled splits at the threshold by its bucket group, and is all or nothing at 100 % and 0 %
do $$ begin
  if public.flag_enabled('DLQ_ENABLED', null) or public.flag_enabled('NO_SUCH_FLAG', 'anyone') then
    raise exception 'flag_enabled is on for a null subject or an unknown flag';
  end if;
  -- user:42 is in bucket 829 of the group RELIABILITY: off below 8.30 %, on from it.
  update public.feature_flags set enabled = true, rollout_percentage = 8.29, bucket_group = 'RELIABILITY' where key = 'DLQ_ENABLED';
  if public.flag_enabled('DLQ_ENABLED', 'user:42') is distinct from false then
    raise exception 'flag_enabled is on at 8.29 %% for a subject in bucket 829';
  end if;
  update public.feature_flags set rollout_percentage = 8.30 where key = 'DLQ_ENABLED';
  if public.flag_enabled('DLQ_ENABLED', 'user:42') is distinct from true then
    raise exception 'flag_enabled is off at 8.30 %% for a subject in bucket 829';
  end if;
  update public.feature_flags set rollout_percentage = 100 where key = 'DLQ_ENABLED';
  if public.flag_enabled('DLQ_ENABLED', '') is distinct from true or public.flag_enabled('DLQ_ENABLED', 'user:42') is distinct from true then
    raise exception 'flag_enabled is off for a subject at 100 %%';
  end if;
  update public.feature_flags set rollout_percentage = 0 where key = 'DLQ_ENABLED';
  if public.flag_enabled('DLQ_ENABLED', 'user:42') is distinct from false then
    raise exception 'flag_enabled is on for a subject at 0 %%';
  end if;
  update public.feature_flags set enabled = false, rollout_percentage = 100 where key = 'DLQ_ENABLED';
  if public.flag_enabled('DLQ_ENABLED', 'user:42') then
    raise exception 'flag_enabled is on for a disabled flag';
  end if;
end $$;
