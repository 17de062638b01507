-- The rollout tick: evaluates every active plan once and acts on the decision; and the
-- rollout_status view, the same numbers for the dashboard.
--
-- Per plan (state active or waiting_for_data), under its row lock:
--   * its flag missing from feature_flags: pause (reason flag_missing);
--   * starts_after a plan that is not completed: wait;
--   * current step not entered yet: enter it (flag enabled at the step's percentage; a step at
--     100 % completes the plan);
--   * flag changed outside the plan (not enabled at the step's percentage): pause, because the
--     cohorts would no longer be the step's;
--   * else count the guard's signals per cohort over the jobs finished since the step began
--     (public.rollout_signal_counts) and decide (public.rollout_decide): halt sets the flag's
--     percentage to 0; advance enters the next step; complete ends the plan; wait holds.
-- Flag changes go through the flags table, so its audit trigger records each one (actor: the
-- session's feature_flags.actor when set, else 'rollout-tick'); both settings are put back when
-- the tick ends, so that the caller's later changes in the same transaction are its own. Every decision but a repeated wait
-- writes a rollout_events row with the numbers; a wait is written when its state or reason changes,
-- else at most once an hour.
--
-- Concurrent ticks never act twice on a plan: each takes the plan's row with FOR UPDATE SKIP
-- LOCKED (a second tick skips a plan being evaluated), and a step entered at `at` needs its full
-- minimum time again before the next advance. `at` is the tick's clock (now() unless a test or an
-- operator gives one).
-- Rollback: supabase/rollback/20261201120300_create_rollout_tick.sql

set lock_timeout = '5s';

create or replace function public.rollout_tick(at timestamptz default now())
  returns table (flag_key text, decision text, state text, step integer, percentage numeric, reason text)
  language plpgsql
  set search_path = ''
as $$
declare
  plan public.rollout_plans;
  flag public.feature_flags;
  step_percentage numeric;
  next_state text;
  event_kind text;
  guard_input jsonb;
  answer jsonb;
  last_event_at timestamptz;
  caller_actor constant text := coalesce(pg_catalog.current_setting('feature_flags.actor', true), '');
  tick_actor constant text := coalesce(nullif(caller_actor, ''), 'rollout-tick');
begin
  if at is null then
    raise exception 'rollout_tick: at must be a time, got null' using errcode = '22004';
  end if;
  -- The plans' operator-event trigger stays quiet for the tick's own changes; the flag audit
  -- names the tick (or the operator who ran it).
  perform pg_catalog.set_config('rollout.deciding', 'on', true);
  perform pg_catalog.set_config('feature_flags.actor', tick_actor, true);

  for plan in
    select p.* from public.rollout_plans p
    where p.state in ('active', 'waiting_for_data')
    order by p.flag_key
    for update of p skip locked
  loop
    flag := null;
    select f.* into flag from public.feature_flags f where f.key = plan.flag_key;
    step_percentage := plan.steps[plan.current_step + 1];
    flag_key := plan.flag_key;
    step := plan.current_step;
    percentage := step_percentage;
    answer := '{}'::jsonb;

    if flag.key is null then
      decision := 'pause';
      next_state := 'paused';
      reason := 'flag_missing';
      event_kind := 'pause';
    elsif plan.starts_after is not null and exists (
         select 1 from public.rollout_plans o where o.flag_key = plan.starts_after and o.state <> 'completed') then
      decision := 'wait';
      next_state := plan.state;
      reason := 'after_plan';
      event_kind := null;
    elsif plan.step_started_at is null then
      update public.feature_flags f set enabled = true, rollout_percentage = step_percentage where f.key = plan.flag_key;
      next_state := case when step_percentage = 100 then 'completed' else 'active' end;
      decision := case when step_percentage = 100 then 'complete' else 'start' end;
      reason := 'step_entered';
      event_kind := decision;
      plan.step_started_at := at;
    elsif not flag.enabled or flag.rollout_percentage <> step_percentage then
      decision := 'pause';
      next_state := 'paused';
      reason := 'flag_changed';
      event_kind := 'pause';
      answer := pg_catalog.jsonb_build_object('flag', pg_catalog.jsonb_build_object(
        'enabled', flag.enabled, 'rollout_percentage', flag.rollout_percentage, 'updated_by', flag.updated_by));
    else
      guard_input := pg_catalog.jsonb_build_object(
        'time_passed', at >= plan.step_started_at + plan.step_min_durations[plan.current_step + 1],
        'last_step', plan.current_step + 1 = pg_catalog.cardinality(plan.steps),
        'min_sample', plan.min_sample,
        'tolerance', plan.tolerance,
        'confidence', plan.confidence,
        'signals', coalesce((
          select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) order by c.signal)
          from public.rollout_signal_counts(flag.bucket_group, step_percentage, plan.step_started_at, at) c
          where c.signal = any (plan.guard_signals)), '[]'::jsonb));
      answer := public.rollout_decide(guard_input)
             || pg_catalog.jsonb_build_object('guard', guard_input - 'signals',
                                              'window', pg_catalog.jsonb_build_object('since', plan.step_started_at, 'until', at));
      decision := answer ->> 'decision';
      next_state := answer ->> 'state';
      reason := answer ->> 'reason';
      event_kind := decision;
      if decision = 'halt' then
        update public.feature_flags f set rollout_percentage = 0 where f.key = plan.flag_key;
      elsif decision = 'advance' then
        plan.current_step := plan.current_step + 1;
        plan.step_started_at := at;
        step_percentage := plan.steps[plan.current_step + 1];
        next_state := case when step_percentage = 100 then 'completed' else 'active' end;
        update public.feature_flags f set enabled = true, rollout_percentage = step_percentage where f.key = plan.flag_key;
      elsif decision = 'wait' then
        select max(e.at) into last_event_at from public.rollout_events e where e.flag_key = plan.flag_key;
        if next_state = plan.state and reason is not distinct from plan.last_reason
           and last_event_at > at - interval '1 hour' then
          event_kind := null;
        end if;
      end if;
    end if;

    update public.rollout_plans p
       set state = next_state,
           current_step = plan.current_step,
           step_started_at = plan.step_started_at,
           last_decision = decision,
           last_reason = reason,
           last_evaluated_at = at
     where p.flag_key = plan.flag_key;
    if event_kind is not null then
      insert into public.rollout_events (flag_key, at, kind, actor, step, percentage, state, reason, numbers)
      values (plan.flag_key, at, event_kind, tick_actor, plan.current_step, step_percentage, next_state, reason, answer);
    end if;
    state := next_state;
    step := plan.current_step;
    percentage := step_percentage;
    return next;
  end loop;
  -- Later statements of the caller's transaction are the caller's own again.
  perform pg_catalog.set_config('rollout.deciding', '', true);
  perform pg_catalog.set_config('feature_flags.actor', caller_actor, true);
end
$$;

comment on function public.rollout_tick(timestamptz) is
  'Evaluates every active rollout plan once (pg_cron runs it every minute): enter, advance, halt, complete or wait. Returns one row per plan it looked at.';

-- Per plan: where it stands, and both cohorts' permanent-failure numbers and run-time
-- percentiles (completed jobs) over the current step, live. The same rows `npm run ops -- rollout
-- status` prints. A function under the view, because a view naming feature_flags directly would
-- stop the flags' own migration from being rolled back (Postgres records a view's dependencies).
create or replace function public.rollout_plan_status()
  returns table (
    flag_key text, state text, current_step integer, steps numeric[], step_percentage numeric,
    flag_enabled boolean, flag_percentage numeric, step_started_at timestamptz, step_time_passes_at timestamptz,
    guard_signals text[], min_sample integer, confidence numeric, tolerance numeric, starts_after text,
    canary_jobs bigint, canary_failures bigint, canary_failure_rate double precision,
    control_jobs bigint, control_failures bigint, control_failure_rate double precision,
    canary_runtime_p50_seconds double precision, canary_runtime_p95_seconds double precision,
    control_runtime_p50_seconds double precision, control_runtime_p95_seconds double precision,
    last_decision text, last_reason text, last_evaluated_at timestamptz
  )
  language sql stable
  set search_path = ''
as $$
  select p.flag_key,
         p.state,
         p.current_step,
         p.steps,
         p.steps[p.current_step + 1] as step_percentage,
         f.enabled as flag_enabled,
         f.rollout_percentage as flag_percentage,
         p.step_started_at,
         p.step_started_at + p.step_min_durations[p.current_step + 1] as step_time_passes_at,
         p.guard_signals,
         p.min_sample,
         p.confidence,
         p.tolerance,
         p.starts_after,
         c.canary_jobs,
         c.canary_events as canary_failures,
         c.canary_events::double precision / nullif(c.canary_jobs, 0) as canary_failure_rate,
         c.control_jobs,
         c.control_events as control_failures,
         c.control_events::double precision / nullif(c.control_jobs, 0) as control_failure_rate,
         rt.canary_runtime_p50_seconds,
         rt.canary_runtime_p95_seconds,
         rt.control_runtime_p50_seconds,
         rt.control_runtime_p95_seconds,
         p.last_decision,
         p.last_reason,
         p.last_evaluated_at
  from public.rollout_plans p
  left join public.feature_flags f on f.key = p.flag_key
  left join lateral (
    select s.* from public.rollout_signal_counts(f.bucket_group, p.steps[p.current_step + 1], p.step_started_at, pg_catalog.now()) s
    where s.signal = 'permanent_failure_rate' and p.step_started_at is not null and p.state <> 'completed'
  ) c on true
  left join lateral (
    select pg_catalog.max(r.p50_seconds) filter (where r.cohort = 'canary') as canary_runtime_p50_seconds,
           pg_catalog.max(r.p95_seconds) filter (where r.cohort = 'canary') as canary_runtime_p95_seconds,
           pg_catalog.max(r.p50_seconds) filter (where r.cohort = 'control') as control_runtime_p50_seconds,
           pg_catalog.max(r.p95_seconds) filter (where r.cohort = 'control') as control_runtime_p95_seconds
    from public.rollout_runtime_percentiles(f.bucket_group, p.steps[p.current_step + 1], p.step_started_at, pg_catalog.now()) r
    where p.step_started_at is not null and p.state <> 'completed'
  ) rt on true
  order by p.flag_key
$$;

create or replace view public.rollout_status
  with (security_invoker = true)
as
select * from public.rollout_plan_status();

comment on view public.rollout_status is
  'Rollout plans with where they stand, both cohorts'' permanent-failure numbers and run-time percentiles since the step began.';

revoke all on function public.rollout_tick(timestamptz) from public, anon, authenticated;
grant execute on function public.rollout_tick(timestamptz) to service_role;
revoke all on function public.rollout_plan_status() from public, anon, authenticated;
grant execute on function public.rollout_plan_status() to service_role;
revoke all on public.rollout_status from anon, authenticated, service_role;
grant select on public.rollout_status to service_role;
