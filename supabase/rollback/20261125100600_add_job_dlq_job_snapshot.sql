-- Roll back 20261125100600_add_job_dlq_job_snapshot. Catalog only. Entries keep payload, job_type and
-- job_id, so a retry after this rollback still re-enqueues the job, without its tenant_id.
set lock_timeout = '5s';

alter table if exists public.job_dlq drop column if exists job_snapshot;
