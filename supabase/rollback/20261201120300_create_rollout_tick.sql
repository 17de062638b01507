-- Roll back 20261201120300_create_rollout_tick: the status view and its function, and the tick.
-- Plans and their events stay (20261201120000's rollback removes them); flags keep their current
-- percentages.
set lock_timeout = '5s';

drop view if exists public.rollout_status;
drop function if exists public.rollout_plan_status();
drop function if exists public.rollout_tick(timestamptz);
