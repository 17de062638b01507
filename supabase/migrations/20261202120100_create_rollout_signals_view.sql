-- The view public.rollout_signals: per plan with a step under way, one row per guard signal with
-- whether the plan guards on it, both cohorts' counts and rates since the step began, and the
-- guard's test on them (z, p and whether the canary is worse, at the plan's tolerance and
-- confidence: the numbers the next tick would judge). `npm run ops -- rollout status` prints the
-- same rows. It sits beside public.rollout_status rather than adding a column to it: a view's
-- columns can only grow, so re-applying the migration that made rollout_status would then fail.
-- New objects only: no lock on any existing table.
-- Rollback: supabase/rollback/20261202120100_create_rollout_signals_view.sql

set lock_timeout = '5s';

-- A function under the view, as for rollout_status: a view naming feature_flags directly would
-- stop the flags' own migration from being rolled back (Postgres records a view's dependencies).
create or replace function public.rollout_plan_signals()
  returns table (
    flag_key text, signal text, guarded boolean,
    canary_jobs bigint, canary_events bigint, canary_rate double precision,
    control_jobs bigint, control_events bigint, control_rate double precision,
    z double precision, p_value double precision, worse boolean
  )
  language sql stable
  set search_path = ''
as $$
  select p.flag_key, s.signal, s.signal = any (p.guard_signals),
         s.canary_jobs, s.canary_events, (t ->> 'canary_rate')::double precision,
         s.control_jobs, s.control_events, (t ->> 'control_rate')::double precision,
         (t ->> 'z')::double precision, (t ->> 'p_value')::double precision, (t ->> 'worse')::boolean
  from public.rollout_plans p
  join public.feature_flags f on f.key = p.flag_key
  cross join lateral public.rollout_signal_counts(f.bucket_group, p.steps[p.current_step + 1], p.step_started_at, pg_catalog.now()) s
  cross join lateral public.rollout_compare(pg_catalog.to_jsonb(s), p.tolerance::double precision, p.confidence::double precision) as t
  where p.step_started_at is not null and p.state <> 'completed'
  order by p.flag_key, s.signal
$$;

create or replace view public.rollout_signals
  with (security_invoker = true)
as
select * from public.rollout_plan_signals();

comment on view public.rollout_signals is
  'Per rollout plan under way and guard signal: guarded or not, both cohorts'' jobs, events and rates since the step began, and the test (z, p_value, worse).';

revoke all on function public.rollout_plan_signals() from public, anon, authenticated;
grant execute on function public.rollout_plan_signals() to service_role;
revoke all on public.rollout_signals from anon, authenticated, service_role;
grant select on public.rollout_signals to service_role;
