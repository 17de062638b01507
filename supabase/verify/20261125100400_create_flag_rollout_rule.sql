-- Verify 20261125100400_create_flag_rollout_rule: the SQL rollout rule gives the pinned buckets.
-- Each "-- check:" block passes by running and fails by raising an error. The runner executes the
-- file inside begin ... rollback, so a verification never changes the database.

-- check: flag_bucket matches pinned vectors (functions/_shared/rollout-vectors.json)
do $$ begin
  if public.flag_bucket('DLQ_ENABLED', 'tenant-1') is distinct from 6538
     or public.flag_bucket('JOB_HEARTBEAT', 'ü') is distinct from 4973 then
    raise exception 'flag_bucket disagrees with the pinned vectors';
  end if;
end $$;

-- check: flag_enabled follows enabled and rollout_percentage
do $$ begin
  update public.feature_flags set enabled = true, rollout_percentage = 100 where key = 'DLQ_ENABLED';
  if not public.flag_enabled('DLQ_ENABLED', 'anyone') then
    raise exception 'flag_enabled is off at 100 %%';
  end if;
  update public.feature_flags set rollout_percentage = 0 where key = 'DLQ_ENABLED';
  if public.flag_enabled('DLQ_ENABLED', 'anyone') then
    raise exception 'flag_enabled is on at 0 %%';
  end if;
end $$;
