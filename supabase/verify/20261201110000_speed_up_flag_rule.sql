-- Verify 20261201110000_speed_up_flag_rule: the faster rule is in place and gives the pinned answers.
-- Each "-- check:" block passes by running and fails by raising an error. The runner executes the
-- file inside begin ... rollback, so a verification never changes the database.

-- check: flag_enabled is the plpgsql version and flag_bucket hashes once
do $$ begin
  if (select l.lanname from pg_catalog.pg_proc p join pg_catalog.pg_language l on l.oid = p.prolang
      where p.oid = 'public.flag_enabled(text, text)'::pg_catalog.regprocedure) is distinct from 'plpgsql' then
    raise exception 'public.flag_enabled is not the plpgsql version of 20261201110000';
  end if;
  if (select p.prosrc from pg_catalog.pg_proc p where p.oid = 'public.flag_bucket(text, text)'::pg_catalog.regprocedure) like '%get_byte%' then
    raise exception 'public.flag_bucket still reads the digest byte by byte (one SHA-256 per byte)';
  end if;
end $$;

-- check: flag_bucket gives pinned buckets the earlier verify does not cover (a first word with the high bit set)
do $$ begin
  if public.flag_bucket('JOB_HEARTBEAT', 'emoji-🚀-tenant') is distinct from 4806
     or public.flag_bucket('RELIABILITY', 'user:42') is distinct from 829
     or public.flag_bucket('G', 'a') is distinct from 284 then
    raise exception 'flag_bucket disagrees with the pinned vectors (functions/_shared/rollout-vectors.json)';
  end if;
end $$;

-- check: flag_enabled is off for unknown flags, null subjects and disabled flags, and splits at the threshold
do $$ begin
  if public.flag_enabled('DLQ_ENABLED', null) or public.flag_enabled('NO_SUCH_FLAG', 'anyone') then
    raise exception 'flag_enabled is on for a null subject or an unknown flag';
  end if;
  -- tenant-1 is in bucket 6538 of DLQ_ENABLED: off below 65.39 %, on from it.
  update public.feature_flags set enabled = true, rollout_percentage = 65.38 where key = 'DLQ_ENABLED';
  if public.flag_enabled('DLQ_ENABLED', 'tenant-1') is distinct from false then
    raise exception 'flag_enabled is on at 65.38 %% for a subject in bucket 6538';
  end if;
  update public.feature_flags set rollout_percentage = 65.39 where key = 'DLQ_ENABLED';
  if public.flag_enabled('DLQ_ENABLED', 'tenant-1') is distinct from true then
    raise exception 'flag_enabled is off at 65.39 %% for a subject in bucket 6538';
  end if;
  update public.feature_flags set enabled = false where key = 'DLQ_ENABLED';
  if public.flag_enabled('DLQ_ENABLED', 'tenant-1') then
    raise exception 'flag_enabled is on for a disabled flag';
  end if;
end $$;
