-- Indexes for the rollout guard's windows: every evaluation of a plan reads the jobs that
-- finished since its step began (public.rollout_signal_counts, public.rollout_runtime_percentiles),
-- from qc_jobs by finished_at and from job_dlq by last_failed_at. Without them, each tick (once a
-- minute per active plan) scans both tables whole; with them, it reads only the step's window.
--
-- Safe on a large, live qc_jobs:
--   * built CONCURRENTLY: the Supabase CLI runs those statements on their own, outside the file's
--     transaction, and writers keep going while they build;
--   * qc_jobs_finished_at_idx is partial on finished_at is not null: pending and running jobs
--     (null finished_at) have no entry, so claims and heartbeats write nothing to it, and a job
--     adds one entry when it finishes. It makes no update lose HOT that had it: the updates that
--     set or clear finished_at (claim, completion, failure) change status too, which
--     qc_jobs_status_run_after_idx already indexes;
--   * job_dlq is written once per job failed for good and at review, so its index costs little.
-- A push that failed half way is run again whole: an INVALID index left by an interrupted build is
-- dropped first so that it is rebuilt, not skipped by IF NOT EXISTS.
-- Rollback: supabase/rollback/20261202120200_index_rollout_windows.sql

set lock_timeout = '5s';

do $drop_invalid$
declare
  invalid_index text;
begin
  for invalid_index in
    select c.relname
    from pg_catalog.pg_index i
    join pg_catalog.pg_class c on c.oid = i.indexrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public'
      and c.relname in ('qc_jobs_finished_at_idx', 'job_dlq_last_failed_at_idx')
      and not i.indisvalid
  loop
    raise notice 'dropping invalid index public.% left by an interrupted build', invalid_index;
    execute pg_catalog.format('drop index public.%I', invalid_index);
  end loop;
end
$drop_invalid$;

create index concurrently if not exists qc_jobs_finished_at_idx
  on public.qc_jobs (finished_at)
  where finished_at is not null;

create index concurrently if not exists job_dlq_last_failed_at_idx
  on public.job_dlq (last_failed_at);
