-- Roll back 20261125100610_create_job_worker_rpcs. Workers that call the RPCs stop working: roll
-- back the watchdog (20261125100700) and DLQ operations (20261125100910) first, which call these.
set lock_timeout = '5s';

drop function if exists public.fail_job({{job_id_type}}, text, text, jsonb, boolean, interval, integer);
drop function if exists public.complete_job({{job_id_type}}, text, integer);
drop function if exists public.heartbeat_job({{job_id_type}}, text, integer, interval);
drop function if exists public.claim_jobs(text, integer, text[]);
drop function if exists public.fail_job_for_good(public.qc_jobs, text, jsonb);
drop function if exists public.job_flag_subject(text, {{job_id_type}});
