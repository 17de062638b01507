-- Roll back 20261201100200_revoke_job_dlq_client_updates: admins may again UPDATE job_dlq's review
-- columns directly (as 20261125100100_create_job_dlq allowed), unaudited.
set lock_timeout = '5s';

drop policy if exists job_dlq_admin_review on public.job_dlq;
create policy job_dlq_admin_review on public.job_dlq
  for update to authenticated
  using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin')
  with check (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');
grant update (review_status, resolved_by, resolved_at, resolution_note) on public.job_dlq to authenticated;
