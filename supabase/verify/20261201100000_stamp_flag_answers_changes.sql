-- Verify 20261201100000_stamp_flag_answers_changes.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: a same-value write changes no stamp and writes no audit row
do $$
declare
  before public.feature_flags;
  after public.feature_flags;
  audits_before bigint;
begin
  select * into before from public.feature_flags where key = 'JOB_HEARTBEAT';
  select count(*) into audits_before from public.feature_flag_audit where flag_key = 'JOB_HEARTBEAT';
  update public.feature_flags set enabled = enabled, rollout_percentage = rollout_percentage where key = 'JOB_HEARTBEAT';
  select * into after from public.feature_flags where key = 'JOB_HEARTBEAT';
  if after is distinct from before then
    raise exception 'a same-value write changed the row: % -> %', before, after;
  end if;
  if (select count(*) from public.feature_flag_audit where flag_key = 'JOB_HEARTBEAT') <> audits_before then
    raise exception 'a same-value write was audited';
  end if;
end $$;

-- check: a description edit moves updated_at but not answers_changed_at; a percentage change moves both
do $$
declare
  answers_before timestamptz;
begin
  -- Backdated with the stamp trigger off (it keeps the stamps of a write that changes nothing).
  alter table public.feature_flags disable trigger feature_flags_stamp;
  update public.feature_flags set answers_changed_at = now() - interval '1 day', updated_at = now() - interval '1 day'
   where key = 'JOB_HEARTBEAT';
  alter table public.feature_flags enable trigger feature_flags_stamp;
  select answers_changed_at into answers_before from public.feature_flags where key = 'JOB_HEARTBEAT';
  update public.feature_flags set description = description || ' (edited)' where key = 'JOB_HEARTBEAT';
  if (select answers_changed_at <> answers_before or updated_at = answers_before from public.feature_flags where key = 'JOB_HEARTBEAT') then
    raise exception 'a description edit moved answers_changed_at, or did not move updated_at';
  end if;
  update public.feature_flags set rollout_percentage = case when rollout_percentage = 50 then 51 else 50 end
   where key = 'JOB_HEARTBEAT';
  if (select answers_changed_at = answers_before from public.feature_flags where key = 'JOB_HEARTBEAT') then
    raise exception 'a percentage change did not move answers_changed_at';
  end if;
end $$;
