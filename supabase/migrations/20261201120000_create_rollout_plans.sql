-- Rollout plans: a flag's percentage raised step by step, each step held for a minimum time and
-- guarded by the jobs' own outcomes in the canary cohort against the control cohort.
--
-- One plan per flag (`rollout_plans`), one row per decision (`rollout_events`). The tick
-- (public.rollout_tick, a later migration) moves plans; operators create and change them with
-- `npm run ops -- rollout plan ...`, or edit a row in the dashboard's table editor: setting state to
-- 'paused' holds a plan where it is, 'active' resumes it (a halted plan resumed re-enters its step).
-- Every change to a plan that the tick did not make is recorded as an 'operator' event with who
-- made it. New, empty tables: no lock on any existing table.
-- Rollback: supabase/rollback/20261201120000_create_rollout_plans.sql

set lock_timeout = '5s';

-- Steps rise strictly, each above 0 and at most 100, in steps of 0.01 (a flag's percentage).
create or replace function public.rollout_steps_are_valid(steps numeric[]) returns boolean
  language sql immutable parallel safe
  set search_path = ''
as $$
  select pg_catalog.cardinality(steps) between 1 and 20
     and not exists (
       select 1
       from pg_catalog.unnest(steps) with ordinality as s(percentage, position)
       where s.percentage is null or s.percentage <= 0 or s.percentage > 100
          or s.percentage <> pg_catalog.round(s.percentage, 2)
          or (s.position > 1 and s.percentage <= steps[s.position - 1]))
$$;

-- The CHECK below runs it as the writer: service_role and the owner (the dashboard).
revoke all on function public.rollout_steps_are_valid(numeric[]) from public, anon, authenticated;
grant execute on function public.rollout_steps_are_valid(numeric[]) to service_role;

create table if not exists public.rollout_plans (
  -- No foreign key to feature_flags: a plan must not stop the flags' own migration from being
  -- rolled back. The tick pauses a plan whose flag is missing (reason flag_missing).
  flag_key            text primary key
                      constraint rollout_plan_flag_key_must_be_upper_snake_case_up_to_64_chars
                      check (flag_key ~ '^[A-Z][A-Z0-9_]{0,63}$'),
  -- Percentages, e.g. {5,100}. The plan is completed when it reaches 100 % or when its last step
  -- has passed its guard.
  steps               numeric[] not null
                      constraint rollout_steps_must_rise_from_above_0_to_at_most_100_in_steps_of_0_01
                      check (public.rollout_steps_are_valid(steps)),
  -- The least time at each step, one per step (a step at 100 % needs none: give 0).
  step_min_durations  interval[] not null
                      constraint rollout_step_min_durations_one_per_step_not_negative
                      check (pg_catalog.cardinality(step_min_durations) = pg_catalog.cardinality(steps)
                             and interval '0 seconds' <= all (step_min_durations)),
  -- The guard: signals compared between cohorts (see public.rollout_signal_counts).
  guard_signals       text[] not null default '{permanent_failure_rate}'
                      constraint rollout_guard_signals_must_be_known
                      check (guard_signals <@ array['permanent_failure_rate', 'retry_rate']::text[]),
  -- How much higher the canary's rate may be, in rate units (0.005 = half a percentage point).
  tolerance           numeric not null default 0
                      constraint rollout_tolerance_must_be_between_0_and_1
                      check (tolerance >= 0 and tolerance < 1),
  -- Finished jobs each cohort needs before the guard judges (the z-test's normal approximation).
  min_sample          integer not null default 500
                      constraint rollout_min_sample_must_be_at_least_30
                      check (min_sample >= 30),
  -- One-sided confidence a halt needs: the false-alarm bound of one look.
  confidence          numeric not null default 0.999
                      constraint rollout_confidence_must_be_between_0_5_and_0_9999
                      check (confidence >= 0.5 and confidence <= 0.9999),
  -- Another plan that must be completed before this one starts (JOB_HEARTBEAT after DLQ_ENABLED).
  starts_after        text
                      references public.rollout_plans (flag_key) on update cascade on delete set null
                      constraint rollout_plan_cannot_start_after_itself check (starts_after <> flag_key),
  state               text not null default 'active'
                      constraint rollout_state_is_known
                      check (state in ('active', 'waiting_for_data', 'paused', 'halted', 'completed')),
  -- 0-based index into steps; step_started_at null means the step is still to be entered.
  current_step        integer not null default 0
                      constraint rollout_current_step_must_be_a_step
                      check (current_step >= 0 and current_step < pg_catalog.cardinality(steps)),
  step_started_at     timestamptz,
  last_decision       text,
  last_reason         text,
  last_evaluated_at   timestamptz,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  updated_by          text not null default current_user
);

comment on table public.rollout_plans is
  'Guarded progressive rollout of a flag. Set state to paused to hold it, active to resume (a halted plan re-enters its step).';
comment on column public.rollout_plans.state is
  'active | waiting_for_data (time passed, too few jobs) | paused (by an operator) | halted (canary worse: flag at 0 %) | completed.';

create table if not exists public.rollout_events (
  id          bigint generated always as identity primary key,
  flag_key    text not null,
  at          timestamptz not null default now(),
  -- start: a step was entered; advance: the next step was entered; wait: the guard held (written
  -- when its state or reason changes, else at most hourly); halt; complete; pause: the tick paused
  -- a plan whose flag was changed outside it; operator: a person changed the plan.
  kind        text not null
              constraint rollout_event_kind_is_known
              check (kind in ('start', 'advance', 'wait', 'halt', 'complete', 'pause', 'operator')),
  actor       text not null,
  step        integer,
  percentage  numeric,
  state       text,
  reason      text,
  -- The numbers behind the decision: the guard and, per signal, both cohorts' counts and rates,
  -- z and p (public.rollout_decide's answer).
  numbers     jsonb not null default '{}'::jsonb
);

comment on table public.rollout_events is
  'One row per rollout decision, with the numbers behind it; never edited.';

create index if not exists rollout_events_flag_key_at_idx on public.rollout_events (flag_key, at desc, id desc);

-- Before an update: a halted plan set back to active re-enters its step (the flag is at 0 %);
-- stamp who and when.
create or replace function public.rollout_plans_stamp() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and old.state = 'halted' and new.state = 'active'
     and new.step_started_at is not distinct from old.step_started_at then
    new.step_started_at := null;
  end if;
  new.updated_at := pg_catalog.now();
  new.updated_by := public.feature_flag_actor();
  return new;
end
$$;

-- After a change the tick did not make (it sets rollout.deciding): one 'operator' event.
create or replace function public.rollout_plans_log_operator() returns trigger
  language plpgsql
  set search_path = ''
as $$
begin
  if pg_catalog.current_setting('rollout.deciding', true) is distinct from 'on' then
    insert into public.rollout_events (flag_key, kind, actor, step, percentage, state, reason, numbers)
    values (new.flag_key, 'operator', public.feature_flag_actor(), new.current_step, new.steps[new.current_step + 1],
            new.state,
            case when tg_op = 'INSERT' then 'plan created'
                 when old.state is distinct from new.state then old.state || ' -> ' || new.state
                 else 'plan changed' end,
            pg_catalog.jsonb_build_object('plan', pg_catalog.to_jsonb(new)));
  end if;
  return null;
end
$$;

revoke all on function public.rollout_plans_stamp() from public, anon, authenticated, service_role;
revoke all on function public.rollout_plans_log_operator() from public, anon, authenticated, service_role;

drop trigger if exists rollout_plans_stamp on public.rollout_plans;
create trigger rollout_plans_stamp
  before insert or update on public.rollout_plans
  for each row execute function public.rollout_plans_stamp();

drop trigger if exists rollout_plans_log_operator on public.rollout_plans;
create trigger rollout_plans_log_operator
  after insert or update on public.rollout_plans
  for each row execute function public.rollout_plans_log_operator();

-- Like the flags: service_role (the runbook, the tick's callers) and the dashboard's owner role.
alter table public.rollout_plans enable row level security;
alter table public.rollout_events enable row level security;

drop policy if exists rollout_plans_service_role_all on public.rollout_plans;
create policy rollout_plans_service_role_all on public.rollout_plans
  for all to service_role using (true) with check (true);
drop policy if exists rollout_events_service_role_read on public.rollout_events;
create policy rollout_events_service_role_read on public.rollout_events
  for select to service_role using (true);
drop policy if exists rollout_events_service_role_append on public.rollout_events;
create policy rollout_events_service_role_append on public.rollout_events
  for insert to service_role with check (true);

revoke all on public.rollout_plans, public.rollout_events from anon, authenticated, service_role;
grant select, insert, update, delete on public.rollout_plans to service_role;
-- The event triggers and the tick run as the writer: a writer may append; nobody may edit.
grant select, insert on public.rollout_events to service_role;
