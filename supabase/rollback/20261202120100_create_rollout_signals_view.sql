-- Roll back 20261202120100_create_rollout_signals_view: the view and its function.
set lock_timeout = '5s';

drop view if exists public.rollout_signals;
drop function if exists public.rollout_plan_signals();
