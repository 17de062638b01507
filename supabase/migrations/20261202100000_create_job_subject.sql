-- public.job_subject(job): the flag subject of a qc_jobs row, as the worker RPCs and the watchdog
-- compute it.
--
-- The subject depends on the shape of qc_jobs (its tenant column, if any, and the type of its id),
-- which only the database and the migrations rendered for it know. App code that claims jobs gets
-- each job's subject from this function instead of reading a tenant column by name, so the same
-- client works on every shape the kit adopts (a tenant column of another name, or none).
--
-- Rollback: supabase/rollback/20261202100000_create_job_subject.sql

set lock_timeout = '5s';

create or replace function public.job_subject(job public.qc_jobs) returns text
  language sql stable parallel safe
  set search_path = ''
as $$
  select public.job_flag_subject(job.tenant_id, job.id)
$$;

comment on function public.job_subject(public.qc_jobs) is
  'The subject feature flags bucket this job by (the rule of job_flag_subject, for this table''s shape).';

revoke all on function public.job_subject(public.qc_jobs) from public, anon, authenticated;
grant execute on function public.job_subject(public.qc_jobs) to service_role;
