-- Verify 20261202130000_name_actor_setting.
-- Each "-- check:" block passes by running and fails by raising an error (run inside begin ... rollback).

-- check: session_actor exists for service_role only
do $$ begin
  if to_regprocedure('public.session_actor()') is null then
    raise exception 'public.session_actor() is missing';
  end if;
  if has_function_privilege('anon', 'public.session_actor()', 'execute')
     or has_function_privilege('authenticated', 'public.session_actor()', 'execute')
     or not has_function_privilege('service_role', 'public.session_actor()', 'execute') then
    raise exception 'public.session_actor() is not executable by service_role only';
  end if;
end $$;

-- check: audit.actor names the actor, the older feature_flags.actor still does when it is not set, audit.actor wins over it
do $$ begin
  perform set_config('request.jwt.claims', '', true);
  perform set_config('audit.actor', '', true);
  perform set_config('feature_flags.actor', 'verify:old-name', true);
  if public.feature_flag_actor() is distinct from 'verify:old-name' then
    raise exception 'feature_flags.actor alone is not the actor (got %)', public.feature_flag_actor();
  end if;
  perform set_config('audit.actor', 'verify:audit-actor', true);
  if public.feature_flag_actor() is distinct from 'verify:audit-actor' then
    raise exception 'audit.actor is not the actor (got %)', public.feature_flag_actor();
  end if;
  perform set_config('audit.actor', '', true);
  perform set_config('feature_flags.actor', '', true);
  if public.feature_flag_actor() is distinct from current_user::text then
    raise exception 'with no actor named, the actor is not the database role (got %)', public.feature_flag_actor();
  end if;
end $$;

-- check: a flag change and a rollout tick run under audit.actor record it, and the tick puts the caller's setting back
do $$ begin
  perform set_config('request.jwt.claims', '', true);
  perform set_config('feature_flags.actor', '', true);
  perform set_config('audit.actor', 'verify:operator', true);
  insert into public.feature_flags (key, enabled, rollout_percentage) values ('VERIFY_ACTOR_SETTING', false, 0);
  insert into public.rollout_plans (flag_key, steps, step_min_durations) values ('VERIFY_ACTOR_SETTING', '{5,100}', '{1 day,0}');
  perform public.rollout_tick('2026-01-01T00:00:00Z');
  if exists (select 1 from public.feature_flag_audit where flag_key = 'VERIFY_ACTOR_SETTING' and actor <> 'verify:operator')
     or (select count(*) from public.feature_flag_audit where flag_key = 'VERIFY_ACTOR_SETTING') <> 2 then
    raise exception 'the flag audit does not name audit.actor for the insert and the tick''s change';
  end if;
  if (select actor from public.rollout_events where flag_key = 'VERIFY_ACTOR_SETTING' and kind = 'start') is distinct from 'verify:operator' then
    raise exception 'the tick''s start event does not name the operator who ran it';
  end if;
  if current_setting('audit.actor', true) is distinct from 'verify:operator' then
    raise exception 'the tick did not put audit.actor back';
  end if;
end $$;
