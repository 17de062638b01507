-- Verify 20261201120200_create_rollout_signals.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: rollout_signal_counts exists for service_role only
do $$ begin
  if to_regprocedure('public.rollout_signal_counts(text, numeric, timestamptz, timestamptz)') is null then
    raise exception 'function public.rollout_signal_counts is missing';
  end if;
  if has_function_privilege('anon', 'public.rollout_signal_counts(text, numeric, timestamptz, timestamptz)', 'execute')
     or not has_function_privilege('service_role', 'public.rollout_signal_counts(text, numeric, timestamptz, timestamptz)', 'execute') then
    raise exception 'rollout_signal_counts is not for service_role only';
  end if;
end $$;

-- check: a completed, a failed, a retried and a dead-lettered job are each counted once, in the right cohort
do $$
declare
  since constant timestamptz := now() - interval '1 minute';
  counts record;
begin
  -- At 100 % every subject is canary; at 0 % every subject is control.
  insert into public.qc_jobs (job_type, status, tenant_id, attempts, finished_at)
  values ('verify', 'completed', 'verify-a', 1, now()),
         ('verify', 'completed', 'verify-b', 2, now()),
         ('verify', 'failed', 'verify-c', 3, now());
  insert into public.job_dlq (job_id, job_type, payload, attempts) values (gen_random_uuid(), 'verify', '{}', 3);
  select * into counts from public.rollout_signal_counts('VERIFY', 100, since, now() + interval '1 minute')
   where signal = 'permanent_failure_rate';
  if (counts.canary_jobs, counts.canary_events, counts.control_jobs) <> (4::bigint, 2::bigint, 0::bigint) then
    raise exception 'at 100 %%: expected 4 canary jobs, 2 failed for good, 0 control; got %', counts;
  end if;
  select * into counts from public.rollout_signal_counts('VERIFY', 0, since, now() + interval '1 minute')
   where signal = 'retry_rate';
  if (counts.control_jobs, counts.control_events, counts.canary_jobs) <> (4::bigint, 3::bigint, 0::bigint) then
    raise exception 'at 0 %%: expected 4 control jobs, 3 retried, 0 canary; got %', counts;
  end if;
end $$;
