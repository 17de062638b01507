-- Roll back 20261201120000_create_rollout_plans: plans and their events go. The flags stay at the
-- percentages the plans left them at (feature_flag_audit keeps every change the plans made).
set lock_timeout = '5s';

drop table if exists public.rollout_events;
drop table if exists public.rollout_plans;
drop function if exists public.rollout_plans_log_operator();
drop function if exists public.rollout_plans_stamp();
drop function if exists public.rollout_steps_are_valid(numeric[]);
