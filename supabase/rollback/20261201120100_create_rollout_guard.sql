-- Roll back 20261201120100_create_rollout_guard: the cohort rule and the decision in SQL.
set lock_timeout = '5s';

drop function if exists public.rollout_decide(jsonb);
drop function if exists public.rollout_compare(jsonb, double precision, double precision);
drop function if exists public.rollout_normal_upper_tail(double precision);
drop function if exists public.rollout_cohort(text, text, numeric);
