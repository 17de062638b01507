-- Roll back 20261125100900_create_job_dlq_actions. The log of DLQ operations is lost with it:
-- refuses while it holds rows unless rollback.allow_data_loss = 'on' (after a backup).
set lock_timeout = '5s';

do $$ begin
  if to_regclass('public.job_dlq_actions') is not null
     and coalesce(current_setting('rollback.allow_data_loss', true), '') <> 'on'
     and exists (select 1 from public.job_dlq_actions) then
    raise exception 'job_dlq_actions holds the history of DLQ operations; rolling back would lose it'
      using hint = 'Back it up, then set rollback.allow_data_loss = on to drop it.';
  end if;
end $$;

drop table if exists public.job_dlq_actions;
