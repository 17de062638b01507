-- Roll back 20261202130000_name_actor_setting: feature_flag_actor() and rollout_tick() read and
-- set feature_flags.actor again, as 20261125100300 and 20261201120300 made them; session_actor()
-- goes. An operator named in audit.actor is no longer recorded after this.
set lock_timeout = '5s';

create or replace function public.feature_flag_actor() returns text
  language sql stable
  set search_path = ''
as $$
  select coalesce(
    nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub',
    nullif(pg_catalog.current_setting('feature_flags.actor', true), ''),
    current_user::text
  )
$$;

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

drop function if exists public.session_actor();
