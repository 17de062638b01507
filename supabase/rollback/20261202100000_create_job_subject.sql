-- Roll back 20261202100000_create_job_subject: drops public.job_subject. Clients that read a
-- job's subject from it must be stopped first.
set lock_timeout = '5s';

drop function if exists public.job_subject(public.qc_jobs);
