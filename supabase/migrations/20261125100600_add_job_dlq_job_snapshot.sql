-- job_dlq keeps the whole job row it came from.
--
-- Dead-lettering moves a job out of qc_jobs (the row is deleted in the same transaction as the
-- entry is written), so the entry must hold everything needed to put the job back exactly as it
-- was: its id, tenant_id (the flag subject), max_attempts, created_at and any columns the app added
-- to qc_jobs. `job_snapshot` is to_jsonb(the qc_jobs row) at the moment it was dead-lettered.
-- A nullable column without default: adding it only touches the catalog.
-- Rollback: supabase/rollback/20261125100600_add_job_dlq_job_snapshot.sql

set lock_timeout = '5s';

alter table public.job_dlq add column if not exists job_snapshot jsonb;

comment on column public.job_dlq.job_snapshot is
  'The qc_jobs row as it was when dead-lettered (to_jsonb); retry and redrive re-insert it from here.';
