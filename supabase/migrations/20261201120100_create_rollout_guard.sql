-- The guarded rollout's rule in SQL, so that pg_cron can run it: cohorts and the decision.
--
-- The same rule as functions/_shared/rollout-guard.ts (read its header for the test and the order
-- of the rule); tests/integration/rollout/guard-sql-agreement.test.ts runs functions/_shared/rollout-guard-vectors.json
-- through both:
--   cohort(group, subject, percentage) = canary when flag_bucket(group, subject) < round(percentage * 100)
--   rollout_decide(input jsonb)        = halt | wait | advance | complete, with the per-signal
--                                        one-sided pooled two-proportion z-test behind it
-- Functions only, reading no table; for server-side code (service_role, the tick's owner).
-- Rollback: supabase/rollback/20261201120100_create_rollout_guard.sql

set lock_timeout = '5s';

-- A finished job's cohort for a flag at a percentage: the rollout rule itself
-- (public.flag_enabled's comparison), so canary = the subjects the flag is on for at that step.
create or replace function public.rollout_cohort(bucket_group text, subject text, percentage numeric) returns text
  language sql immutable strict parallel safe
  set search_path = ''
as $$
  select case when public.flag_bucket(bucket_group, subject) < pg_catalog.round(percentage * 100)
              then 'canary' else 'control' end
$$;

comment on function public.rollout_cohort(text, text, numeric) is
  'canary when the subject''s bucket is under the percentage''s threshold in the bucket group, else control.';

-- P(Z >= z) for a standard normal Z (Abramowitz and Stegun 26.2.17, absolute error < 7.5e-8),
-- operation for operation as normalUpperTail in rollout-guard.ts. Beyond |z| = 37 the tail is 0
-- (exp would underflow, which PostgreSQL reports as an error).
create or replace function public.rollout_normal_upper_tail(z double precision) returns double precision
  language sql immutable strict parallel safe
  set search_path = ''
as $$
  select case when z >= 0 then tail else 1 - tail end
  from (select case when pg_catalog.abs(z) > 37 then 0 else pg_catalog.exp(-(pg_catalog.abs(z) * pg_catalog.abs(z)) / 2) / pg_catalog.sqrt(2 * pg_catalog.pi())
               * (t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))))) end as tail
        from (select 1 / (1 + 0.2316419 * pg_catalog.abs(z)) as t) as x) as y
$$;

-- One signal: both cohorts' rates, z, p and whether the canary is worse (compareCohorts).
create or replace function public.rollout_compare(counts jsonb, tolerance double precision, confidence double precision)
  returns jsonb
  language plpgsql immutable parallel safe
  set search_path = ''
as $$
declare
  nc double precision := (counts ->> 'canary_jobs')::double precision;
  xc double precision := (counts ->> 'canary_events')::double precision;
  nk double precision := (counts ->> 'control_jobs')::double precision;
  xk double precision := (counts ->> 'control_events')::double precision;
  pooled double precision;
  se double precision;
  z double precision;
  p double precision;
begin
  if nc <= 0 or nk <= 0 then
    return counts || pg_catalog.jsonb_build_object(
      'canary_rate', case when nc > 0 then xc / nc end, 'control_rate', case when nk > 0 then xk / nk end,
      'z', null, 'p_value', null, 'worse', false);
  end if;
  pooled := (xc + xk) / (nc + nk);
  se := pg_catalog.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nk));
  z := case when se > 0 then (xc / nc - xk / nk - tolerance) / se else 0 end;
  p := public.rollout_normal_upper_tail(z);
  return counts || pg_catalog.jsonb_build_object(
    'canary_rate', xc / nc, 'control_rate', xk / nk, 'z', z, 'p_value', p, 'worse', p <= 1 - confidence);
end
$$;

-- The decision (decide in rollout-guard.ts). input: {time_passed, last_step, min_sample,
-- tolerance, confidence, signals: [{signal, canary_jobs, canary_events, control_jobs, control_events}]}.
-- Answer: {decision, state, reason, tests: [... with canary_rate, control_rate, z, p_value, worse]}.
create or replace function public.rollout_decide(input jsonb) returns jsonb
  language plpgsql immutable parallel safe
  set search_path = ''
as $$
declare
  min_sample double precision := (input ->> 'min_sample')::double precision;
  tests jsonb;
  any_worse boolean;
  all_enough boolean;
  answer jsonb;
begin
  select coalesce(pg_catalog.jsonb_agg(public.rollout_compare(s.counts, (input ->> 'tolerance')::double precision,
                                                              (input ->> 'confidence')::double precision)
                                       order by s.position), '[]'::jsonb)
    into tests
  from pg_catalog.jsonb_array_elements(coalesce(input -> 'signals', '[]'::jsonb)) with ordinality as s(counts, position);

  select coalesce(pg_catalog.bool_or(enough and (t ->> 'worse')::boolean), false), coalesce(pg_catalog.bool_and(enough), true)
    into any_worse, all_enough
  from (select t, (t ->> 'canary_jobs')::double precision >= min_sample
                  and (t ->> 'control_jobs')::double precision >= min_sample as enough
        from pg_catalog.jsonb_array_elements(tests) as t) as judged;

  answer := case
    when any_worse then '{"decision": "halt", "state": "halted", "reason": "canary_worse"}'
    when not (input ->> 'time_passed')::boolean then '{"decision": "wait", "state": "active", "reason": "time_left"}'
    when not all_enough then '{"decision": "wait", "state": "waiting_for_data", "reason": "too_few_jobs"}'
    when (input ->> 'last_step')::boolean then '{"decision": "complete", "state": "completed", "reason": "not_worse"}'
    else '{"decision": "advance", "state": "active", "reason": "not_worse"}'
  end::jsonb;
  return answer || pg_catalog.jsonb_build_object('tests', tests);
end
$$;

comment on function public.rollout_decide(jsonb) is
  'The guarded rollout rule (functions/_shared/rollout-guard.ts): halt, wait, advance or complete, with the z-test per signal.';

revoke all on function public.rollout_cohort(text, text, numeric) from public, anon, authenticated;
revoke all on function public.rollout_normal_upper_tail(double precision) from public, anon, authenticated;
revoke all on function public.rollout_compare(jsonb, double precision, double precision) from public, anon, authenticated;
revoke all on function public.rollout_decide(jsonb) from public, anon, authenticated;
grant execute on function public.rollout_cohort(text, text, numeric) to service_role;
grant execute on function public.rollout_normal_upper_tail(double precision) to service_role;
grant execute on function public.rollout_compare(jsonb, double precision, double precision) to service_role;
grant execute on function public.rollout_decide(jsonb) to service_role;
