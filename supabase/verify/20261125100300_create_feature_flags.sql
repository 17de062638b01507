-- Verify 20261125100300_create_feature_flags: flags table, audit trail, seeded flags.
-- Each "-- check:" block passes by running and fails by raising an error. The runner executes the
-- file inside begin ... rollback, so a verification never changes the database.

-- check: feature_flags and feature_flag_audit exist with row level security
do $$ begin
  if (select count(*) from pg_class
      where oid in (to_regclass('public.feature_flags'), to_regclass('public.feature_flag_audit'))
        and relrowsecurity) <> 2 then
    raise exception 'feature_flags or feature_flag_audit is missing or has row level security off';
  end if;
end $$;

-- check: the kit's two flags are seeded
do $$ begin
  if (select count(*) from public.feature_flags where key in ('DLQ_ENABLED', 'JOB_HEARTBEAT')) <> 2 then
    raise exception 'flags DLQ_ENABLED and JOB_HEARTBEAT are not both present';
  end if;
end $$;

-- check: a bad rollout percentage is refused
do $$ begin
  begin
    update public.feature_flags set rollout_percentage = 120 where key = 'DLQ_ENABLED';
  exception when check_violation then
    return;
  end;
  raise exception 'rollout_percentage 120 was accepted';
end $$;

-- check: a change writes an audit row
do $$
declare before_count bigint;
begin
  select count(*) into before_count from public.feature_flag_audit;
  update public.feature_flags set description = description || ' (edited)' where key = 'DLQ_ENABLED';
  if (select count(*) from public.feature_flag_audit) <> before_count + 1 then
    raise exception 'updating a flag did not write exactly one audit row';
  end if;
end $$;
