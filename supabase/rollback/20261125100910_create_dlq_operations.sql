-- Roll back 20261125100910_create_dlq_operations. Entries stay in job_dlq; only the operations go.
set lock_timeout = '5s';

drop function if exists public.dlq_discard_entry(uuid, text);
drop function if exists public.dlq_redrive(text, timestamptz, timestamptz, integer, text);
drop function if exists public.dlq_retry_entry(uuid, text);
drop function if exists public.requeue_dead_letter(public.job_dlq, text, text);
