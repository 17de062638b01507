-- Roll back 20261125100100_create_job_dlq: the table, its trigger and its function.
-- Refuses while the queue holds entries nobody has closed, since dropping the table would lose
-- those jobs for good. Set rollback.allow_data_loss = 'on' in the session to drop them anyway
-- (after a backup: `npm run ops -- backup`).
set lock_timeout = '5s';

do $$ begin
  if to_regclass('public.job_dlq') is not null
     and coalesce(current_setting('rollback.allow_data_loss', true), '') <> 'on'
     and exists (select 1 from public.job_dlq where review_status in ('pending', 'retrying')) then
    raise exception 'job_dlq holds % open entries; rolling back would lose them',
      (select count(*) from public.job_dlq where review_status in ('pending', 'retrying'))
      using hint = 'Resolve, redrive or back them up, then set rollback.allow_data_loss = on to drop them.';
  end if;
end $$;

drop trigger if exists job_dlq_updated_at on public.job_dlq;
drop function if exists public.update_job_dlq_updated_at();
drop table if exists public.job_dlq;
