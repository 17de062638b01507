-- Roll back 20261202120200_index_rollout_windows: the two indexes (the rollout guard's reads scan
-- the tables again). A plain DROP INDEX, as the other rollbacks, because the rollback runs in one
-- transaction; it holds qc_jobs' lock only for the moment of the drop, bounded by lock_timeout.
set lock_timeout = '5s';

drop index if exists public.qc_jobs_finished_at_idx;
drop index if exists public.job_dlq_last_failed_at_idx;
