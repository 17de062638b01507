-- Verify 20261201120100_create_rollout_guard.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: the guard's functions exist with an empty search_path, run as the caller, for service_role only
do $$
declare
  fn text;
begin
  foreach fn in array array[
    'public.rollout_cohort(text, text, numeric)', 'public.rollout_normal_upper_tail(double precision)',
    'public.rollout_compare(jsonb, double precision, double precision)', 'public.rollout_decide(jsonb)']
  loop
    if to_regprocedure(fn) is null then
      raise exception 'function % is missing', fn;
    end if;
    if (select prosecdef or not coalesce(proconfig @> array['search_path=""'], false) from pg_proc where oid = to_regprocedure(fn)) then
      raise exception 'function % is SECURITY DEFINER or lacks set search_path = ''''', fn;
    end if;
    if has_function_privilege('anon', fn, 'execute') or not has_function_privilege('service_role', fn, 'execute') then
      raise exception 'function % is not for service_role only', fn;
    end if;
  end loop;
end $$;

-- check: the 1954 Salk trial's placebo arm against its vaccine arm gives z = 6.01 and a halt
do $$
declare
  answer jsonb := public.rollout_decide('{"time_passed": true, "last_step": false, "min_sample": 1000, "tolerance": 0,
    "confidence": 0.99, "signals": [{"signal": "permanent_failure_rate", "canary_jobs": 201229, "canary_events": 142,
    "control_jobs": 200745, "control_events": 57}]}');
begin
  if answer ->> 'decision' <> 'halt' or abs((answer -> 'tests' -> 0 ->> 'z')::float8 - 6.00999709947747) > 1e-9 then
    raise exception 'rollout_decide on the Salk trial: %', answer;
  end if;
end $$;

-- check: the cohort is the rollout rule's: canary exactly when the bucket is under the threshold
do $$ begin
  if exists (
    select 1 from generate_series(1, 2000) as i
    where (public.rollout_cohort('DLQ_ENABLED', 'tenant-' || i, 5) = 'canary')
          <> (public.flag_bucket('DLQ_ENABLED', 'tenant-' || i) < 500)) then
    raise exception 'rollout_cohort disagrees with flag_bucket < round(percentage * 100)';
  end if;
end $$;
